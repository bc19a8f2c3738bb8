/**
 * A process that joins a consumer group and stays in it until killed: `node group-member.ts
 * <brokers> <topic> <group> <sessionTimeoutMs>`; prints "joined" once it has its partitions. A test
 * SIGKILLs it to leave a member behind that never says goodbye.
 */
import { KafkaLog } from '../../../../infra/kafka/kafka-log.ts';

const [brokers, topic, group, session] = process.argv.slice(2);
const log = await KafkaLog.connect({ brokers: brokers.split(','), clientId: 'group-member', sessionTimeoutMs: Number(session) });
await log.consume({ topic, groupId: group, from: { kind: 'earliest' }, onBatch: async () => undefined });
process.stdout.write('joined\n');
setInterval(() => undefined, 60_000);

/** Where a single-node test broker listens and keeps its log. */
export interface BrokerLayout {
  readonly port: number;
  readonly controllerPort: number;
  readonly logDir: string;
  /** Further settings (e.g. a test's `group.min.session.timeout.ms`), written last so they win. */
  readonly extra?: Readonly<Record<string, string>>;
}

/**
 * server.properties of a single-node KRaft broker (broker and controller in one JVM) for tests:
 * loopback only, replication factor 1 for the internal topics, and sized for a 2-core machine.
 */
export function brokerProperties(b: BrokerLayout): string {
  // Java properties read '\' as an escape.
  const esc = (v: string) => v.replaceAll('\\', '\\\\');
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${b.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${b.port},CONTROLLER://127.0.0.1:${b.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${b.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${esc(b.logDir)}`,
    // One replica: there is one broker.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    // The group-offsets topic is created on the first group use; 50 partitions (the default) cost
    // seconds on a small machine, one is plenty for tests.
    'offsets.topic.num.partitions=1',
    'transaction.state.log.num.partitions=1',
    // Groups form at once instead of waiting 3 s for more members.
    'group.initial.rebalance.delay.ms=0',
    // As a production broker: appending to a missing topic creates it (the embedded log does too).
    'auto.create.topics.enable=true',
    'num.partitions=1',
    // Fewer threads and a small compaction buffer (128 MiB by default) for a 512 MiB heap on 2 cores.
    'num.network.threads=2',
    'num.io.threads=2',
    'background.threads=2',
    'log.cleaner.threads=1',
    'log.cleaner.dedupe.buffer.size=8388608',
    ...Object.entries(b.extra ?? {}).map(([k, v]) => `${k}=${esc(v)}`),
    '',
  ].join('\n');
}

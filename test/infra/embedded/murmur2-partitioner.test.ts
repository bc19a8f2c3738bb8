import { randomBytes } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { murmur2, Murmur2Partitioner, partitionOfKey } from '../../../infra/embedded/murmur2-partitioner.ts';

describe('murmur2 (Kafka default partitioner)', () => {
  it("matches Kafka's own murmur2 test vectors (UtilsTest.testMurmur2)", () => {
    const cases: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of cases) expect(murmur2(Buffer.from(key, 'utf8'))).toBe(hash);
  });

  it('matches the Java client (kafka-clients 3.7 Utils.murmur2) on empty, short, multi-byte and emoji keys', () => {
    // [key, murmur2, partition of 4, partition of 12], printed by the Java client.
    const cases: Array<[string, number, number, number]> = [
      ['', 275646681, 1, 9],
      ['a', -1563381124, 0, 4],
      ['user-1', 1404122828, 0, 8],
      ['user-42', 1459644460, 0, 4],
      ['u_00017', 132345918, 2, 6],
      ['ünïcödé', 201421315, 3, 7],
      ['日本語キー', 1445825182, 2, 10],
      ['😀emoji', -557038161, 3, 11],
    ];
    for (const [key, hash, of4, of12] of cases) {
      expect(murmur2(Buffer.from(key, 'utf8'))).toBe(hash);
      expect(partitionOfKey(key, 4)).toBe(of4);
      expect(partitionOfKey(key, 12)).toBe(of12);
    }
  });

  it("agrees with kafkajs' DefaultPartitioner on random keys", () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    for (const partitions of [1, 3, 4, 16, 100]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
      for (let i = 0; i < 500; i++) {
        const key = i % 5 === 0 ? `user-${i}-ü-${randomBytes(3).toString('hex')}` : randomBytes(1 + (i % 40)).toString('base64');
        expect(partitionOfKey(key, partitions)).toBe(kafkajs({ topic: 't', partitionMetadata, message: { key, value: 'v' } }));
      }
    }
  });

  it('sends records without a key round robin', () => {
    const p = new Murmur2Partitioner();
    expect(Array.from({ length: 7 }, () => p.partition(null, 3))).toEqual([0, 1, 2, 0, 1, 2, 0]);
    expect(p.partition('foobar', 4)).toBe(2);
  });
});

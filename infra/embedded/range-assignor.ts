/**
 * Kafka's RangeAssignor for one topic: members in join order each get a contiguous range of
 * partitions; the first `partitions % members` get one extra. Returns each member's partitions.
 */
export function assignRange(partitions: number, members: number): number[][] {
  const out: number[][] = Array.from({ length: members }, () => []);
  if (members === 0) return out;
  const per = Math.floor(partitions / members);
  const extra = partitions % members;
  let next = 0;
  for (let m = 0; m < members; m++) {
    const count = per + (m < extra ? 1 : 0);
    for (let i = 0; i < count; i++) out[m].push(next++);
  }
  return out;
}

// A domain module as it should be: pure logic, no I/O.
export function nextCSeq(current: number): number {
  return (current + 1) % 2 ** 31;
}

import { waitFor } from './wait-for';

describe('waitFor', () => {
  it('returns the first truthy value', async () => {
    let n = 0;
    await expect(waitFor('n to reach 3', () => (++n >= 3 ? n : undefined), 1000, 1)).resolves.toBe(3);
  });
  it('fails with what it waited for and the last error', async () => {
    await expect(
      waitFor('the impossible', () => {
        throw new Error('still no');
      }, 30, 5),
    ).rejects.toThrow(/timed out after 30 ms waiting for the impossible: Error: still no/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lazyClient } from '../../infra/clients/lazy-client';

describe('lazyClient: a failed connect is never kept', () => {
  it('connects again on the next use after a failure, and shares a connect in flight', async () => {
    let attempts = 0;
    const client = lazyClient(async () => {
      attempts++;
      if (attempts === 1) throw new Error('connect ECONNREFUSED');
      return { attempt: attempts };
    });
    await assert.rejects(client.get(), /ECONNREFUSED/);
    assert.equal(client.current(), undefined, 'the failure is forgotten');
    const [first, second] = await Promise.all([client.get(), client.get()]);
    assert.deepEqual([first, second, attempts], [{ attempt: 2 }, { attempt: 2 }, 2]);
    assert.equal(await client.get(), first, 'a good connection is kept');
  });
});

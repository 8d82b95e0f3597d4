import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config/config';

/** A Temporal client for starters, the web server and the CLI. Close with `closeTemporalClient`. */
export async function connectTemporalClient(
  config: Config['temporal'],
  options: {
    /** How long to wait for the server before giving up (`crawlflow status` waits less). @default 10 s */
    connectTimeoutMs?: number;
  } = {},
): Promise<Client> {
  const connection = await Connection.connect({
    address: config.address,
    ...(options.connectTimeoutMs !== undefined ? { connectTimeout: options.connectTimeoutMs } : {}),
  });
  return new Client({ connection, namespace: config.namespace });
}

export async function closeTemporalClient(client: Client): Promise<void> {
  await client.connection.close();
}

/** The connection workers poll through; one per process, shared by all its workers. */
export function connectWorkerConnection(config: Config['temporal']): Promise<NativeConnection> {
  return NativeConnection.connect({ address: config.address });
}

/** Link to one workflow run in the Temporal Web UI. */
export function workflowUrl(config: Config['temporal'], workflowId: string, runId?: string): string {
  const base = `${config.uiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${encodeURIComponent(runId)}/history` : base;
}

/** Link to a filtered list of workflows (a visibility query) in the Temporal Web UI. */
export function workflowListUrl(config: Config['temporal'], query: string): string {
  return `${config.uiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows?query=${encodeURIComponent(query)}`;
}

import { MongoClient, type Db } from 'mongodb';
import { mongoDatabaseName, type Config } from '../config/config';

export interface MongoHandle {
  client: MongoClient;
  db: Db;
}

/** Connects once per process; repositories receive the `Db`, never build their own client. */
export async function connectMongo(
  config: Config['mongo'],
  options: {
    appName?: string;
    /** How long an operation waits for a reachable server (`crawlflow status` waits less). @default 10000 */
    serverSelectionTimeoutMS?: number;
  } = {},
): Promise<MongoHandle> {
  const client = new MongoClient(config.uri, {
    appName: options.appName ?? 'crawlflow',
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000,
  });
  await client.connect();
  return { client, db: client.db(mongoDatabaseName(config.uri)) };
}

import { createRequire } from 'node:module';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

type History = proto.temporal.api.history.v1.IHistory;

/**
 * Reads a history in the proto JSON that `temporal workflow show --output json` writes.
 *
 * Not the SDK's `historyFromJSON`: with this tree's npm layout @temporalio/common and
 * @temporalio/proto each get their own copy of protobufjs 8 (grpc-js keeps protobufjs 7 at the
 * top), and common's `fromJson` then refuses proto's types ("type must be a Type"). The
 * protojson of the copy that built the types reads them.
 */
const protojson = createRequire(require.resolve('@temporalio/proto')) ('protobufjs/ext/protojson') as {
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
};
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');

export function historyFromProtoJson(json: unknown): History {
  return protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
}

/**
 * The client's side of the `Api` map (see protocol/api.ts, shared with the server): the
 * handler type of server-to-client requests, and every Api helper re-exported.
 */
import type { PlatformAbortSignal } from '../../protocol/bytes';
import type { HandlerName, HandlerParams, HandlerResult } from '../../protocol/api';

export type {
  MethodSpec,
  DefaultApi,
  MethodName,
  ParamsOf,
  ResultOf,
  ParamsArgs,
  EventName,
  EventData,
  EventListener,
  EmitName,
  EmitData,
  EmitArgs,
  HandlerName,
  HandlerParams,
  HandlerResult,
} from '../../protocol/api';

/** What a handler gets besides the params. */
export interface HandlerContext {
  /** The request id the server chose. */
  readonly id: string | number;
  /** The method that was called. */
  readonly method: string;
  /**
   * Aborted when the link the request came on goes away (or the socket closes): the answer could
   * not be delivered any more. Absent on platforms without `AbortController`.
   */
  readonly signal?: PlatformAbortSignal;
}
/** A handler for server request `M`. */
export type Handler<Api, M extends HandlerName<Api>> = (
  params: HandlerParams<Api, M>,
  context: HandlerContext,
) => HandlerResult<Api, M> | PromiseLike<HandlerResult<Api, M>>;

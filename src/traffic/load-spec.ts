/** What a load sends: shared by the Node clients' load loop and the browser pages'. */
import type { DeflateContext } from '../clients/deflate-sender';
import type { ClientKind } from '../clients/types';
import type { PayloadKind, StackName } from '../core/params';

/** What the load loop needs to know. */
export interface LoadSpec {
  stack: StackName;
  client: ClientKind;
  payload: PayloadKind;
  frameSize: number;
  fragmentSize: number;
  rate: number;
  clients: number;
  burst: number;
  duration: number;
  seed: number;
  /** Client `browser` only: chat pages sending short text at the same rate beside the `clients` pages. */
  chatPages?: number;
  /** Client `fragmenting` only: how it compresses (default per-message, prepared; `kept` compresses inline as Chromium does). */
  context?: DeflateContext;
}

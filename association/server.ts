/**
 * An association server: accepts TCP connections, runs the acceptor on
 * each and hands every established association to a handler, with a limit
 * on concurrent associations and a graceful shutdown.
 *
 * @module
 */

import { acceptAssociation, type AcceptAssociationOptions } from "./acceptor.ts";
import type { Association } from "./association.ts";
import { ASSOCIATION_REJECTIONS } from "./constants.ts";
import { AssociationAbortedError } from "./errors.ts";

/**
 * Handles one established association; the server waits for it to end
 * afterwards. Read `association.pData` to its end, or cancel it: unread
 * P-DATA stops the association from reading further PDUs (backpressure),
 * including the peer's A-RELEASE-RQ.
 *
 * The handler is the local user of PS3.8: when the peer asks to release,
 * the association waits in Sta8 ("awaiting local A-RELEASE response
 * primitive") until the handler has returned, so the responses it still
 * owes for requests already received go out first (AR-7), then the
 * A-RELEASE-RP (Table 9-10). A handler must therefore not wait for
 * `association.closed` itself while the peer releases; it may answer
 * early with `association.release()`.
 */
export type AssociationHandler = (association: Association) => void | Promise<void>;

/**
 * What the server accepts connections from: a `Deno.TcpListener`, a
 * `Deno.TlsListener`, or any object with its `addr`, `accept()` and
 * `close()` (e.g. a wrapper that counts or filters connections, or a test
 * double whose `accept()` fails).
 */
export interface AssociationListener {
  /** The address listened on. */
  readonly addr: Deno.NetAddr;
  /** The next connection; rejects when closed or on an accept error such as EMFILE. */
  accept(): Promise<Deno.TcpConn | Deno.TlsConn>;
  /** Stops listening; a pending `accept()` then rejects. */
  close(): void;
}

/**
 * The server's certificate for TLS: the Secure Transport Connection Profiles
 * of PS3.15 Annex B (B.1 Basic TLS, B.9 BCP 195). Only TLS 1.2 and 1.3 are
 * offered (Deno's TLS stack has nothing older), as BCP 195 (RFC 9325 §3.1.1)
 * requires. Client certificates are not requested.
 */
export interface ListenTlsOptions {
  /** Our certificate chain (PEM): the acceptor's X.509 certificate of PS3.15 B.1. */
  readonly cert: string;
  /** The private key (PEM) of `cert`. */
  readonly key: string;
}

/**
 * Where to listen: an open TCP or TLS listener (the server takes it over),
 * or an address, served over TLS when it has `tls`.
 */
export type ListenTarget = AssociationListener | {
  readonly hostname?: string;
  readonly port: number;
  readonly tls?: ListenTlsOptions;
};

/** First and last delay, in ms, before accepting again after an accept error. */
const ACCEPT_RETRY_DELAY = { first: 10, max: 1000 } as const;

/** Options of {@linkcode serveAssociations}. */
export interface AssociationServerOptions
  extends Omit<AcceptAssociationOptions, "remoteAddress" | "signal"> {
  /**
   * The most associations (open connections, established or not) served at
   * once. A connection over the limit gets an A-ASSOCIATE-RJ (transient,
   * service-provider presentation, local-limit-exceeded, PS3.8 Table 9-21)
   * and does not count toward the limit itself.
   *
   * @default {100}
   */
  readonly maxAssociations?: number;
  /** Shuts the server down gracefully when aborted. */
  readonly signal?: AbortSignal;
  /**
   * Called with what a handler throws, except the {@linkcode AssociationAbortedError}
   * of its own association; the association is then aborted. Also called
   * with each error of the listener's `accept()` (e.g. EMFILE when out of
   * file descriptors): the server then waits a little (10 ms, doubling up
   * to 1 s while errors repeat) and accepts again, until shut down.
   *
   * @default {(error) => console.error(error)}
   */
  readonly onError?: (error: unknown) => void;
}

/** Options of {@linkcode AssociationServer.shutdown}. */
export interface ShutdownOptions {
  /**
   * Abort the associations in progress instead of waiting for them to end.
   *
   * @default {false}
   */
  readonly abort?: boolean;
}

/**
 * A running association server, made by {@linkcode serveAssociations}.
 * `await using` shuts it down gracefully.
 *
 * @example Serve Verification on an ephemeral port
 * ```ts
 * import { connect, serveAssociations } from "@dcm/net/association";
 * import { Uid } from "@dcm/net/dictionary";
 *
 * await using server = serveAssociations({ hostname: "127.0.0.1", port: 0 }, async (association) => {
 *   for await (const _pdu of association.pData) {
 *     // The DIMSE layer handles the messages here.
 *   }
 * });
 * await using association = await connect("127.0.0.1", server.addr.port, {
 *   presentationContexts: [
 *     { abstractSyntax: Uid.Verification, transferSyntaxes: [Uid.ImplicitVRLittleEndian] },
 *   ],
 * });
 * await association.release();
 * ```
 */
export class AssociationServer implements AsyncDisposable {
  readonly #listener: AssociationListener;
  readonly #handler: AssociationHandler;
  readonly #options: AssociationServerOptions;
  readonly #sessions = new Set<Promise<void>>();
  readonly #abortAll = new AbortController();
  readonly #accepting: Promise<void>;
  readonly #finished = Promise.withResolvers<void>();
  readonly #onAbort = () => void this.shutdown();
  readonly #stopAccepting = Promise.withResolvers<void>();
  #shutdown: Promise<void> | undefined;
  #active = 0;

  /**
   * Starts serving on `listener`.
   *
   * @param listener The TCP or TLS listener; the server closes it at shutdown.
   * @param handler Called with each established association.
   * @param options Acceptor options for every association, and server limits.
   */
  constructor(
    listener: AssociationListener,
    handler: AssociationHandler,
    options: AssociationServerOptions = {},
  ) {
    const max = options.maxAssociations ?? 100;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`Invalid maxAssociations: ${max}`);
    this.#listener = listener;
    this.#handler = handler;
    this.#options = options;
    this.#accepting = this.#accept(max);
    options.signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** The address listened on; with port 0, `addr.port` is the port the system chose. */
  get addr(): Deno.NetAddr {
    return this.#listener.addr;
  }

  /**
   * Connections being served within the limit (establishing, established or
   * ending). Connections being rejected for the limit do not count.
   */
  get activeAssociations(): number {
    return this.#active;
  }

  /** Resolves once the server has shut down and every association has ended. */
  get finished(): Promise<void> {
    return this.#finished.promise;
  }

  /**
   * Stops accepting connections, then waits for the associations in
   * progress to end (or aborts them with `{ abort: true }`).
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    if (options.abort) this.#abortAll.abort(new Error("Server shut down"));
    this.#shutdown ??= (async () => {
      this.#options.signal?.removeEventListener("abort", this.#onAbort);
      this.#stopAccepting.resolve();
      try {
        this.#listener.close();
      } catch { /* Already closed. */ }
      await this.#accepting;
      await this.#drain();
      this.#finished.resolve();
    })();
    return this.#shutdown;
  }

  /** Shuts the server down gracefully. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  async #drain(): Promise<void> {
    while (this.#sessions.size > 0) await Promise.all(this.#sessions);
  }

  async #accept(max: number): Promise<void> {
    let delay = 0;
    for (;;) {
      let conn: Deno.TcpConn | Deno.TlsConn;
      try {
        conn = await this.#listener.accept();
        delay = 0;
      } catch (error) {
        // Closed by shutdown(), or by its owner: nothing more to accept.
        if (this.#shutdown !== undefined || error instanceof Deno.errors.BadResource) return;
        // Out of file descriptors (EMFILE, ENFILE), a connection reset before
        // it was accepted (ECONNABORTED)...: transient, the listener still
        // listens. Report it, let the process free resources, accept again.
        (this.#options.onError ?? console.error)(error);
        delay = Math.min(delay * 2 || ACCEPT_RETRY_DELAY.first, ACCEPT_RETRY_DELAY.max);
        if (await this.#stopped(delay)) return;
        continue;
      }
      if ("setNoDelay" in conn) conn.setNoDelay(true); // A TlsConn has none.
      const session = this.#serve(conn, this.#active >= max);
      this.#sessions.add(session);
      session.finally(() => this.#sessions.delete(session));
    }
  }

  /** Waits `ms`; true if shutdown() began meanwhile. */
  async #stopped(ms: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const elapsed = new Promise<boolean>((resolve) => timer = setTimeout(resolve, ms, false));
    try {
      return await Promise.race([elapsed, this.#stopAccepting.promise.then(() => true)]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #serve(conn: Deno.TcpConn | Deno.TlsConn, overLimit: boolean): Promise<void> {
    if (!overLimit) this.#active++;
    const options = this.#options;
    const handled = Promise.withResolvers<void>();
    let association: Association | undefined;
    try {
      association = await acceptAssociation(conn, {
        ...options,
        signal: this.#abortAll.signal,
        remoteAddress: conn.remoteAddr,
        // PS3.8 Table 9-10, Sta8: the A-RELEASE response primitive is the
        // local user's, issued once the handler has answered what it received
        // (AR-7 sends its P-DATA meanwhile). Not in a release collision
        // (Sta12), where the handler itself awaits its release().
        onReleaseRequest: async () => {
          await options.onReleaseRequest?.();
          if (association?.state === "Sta8") await handled.promise;
        },
        // PS3.8 Table 9-21: over the limit, a transient provider rejection.
        ...(overLimit && { accessControl: () => ASSOCIATION_REJECTIONS.LOCAL_LIMIT_EXCEEDED }),
      });
      try {
        await this.#handler(association);
      } catch (error) {
        // A handler reading an aborted association's P-DATA sees the abort: not its bug.
        if (!(error instanceof AssociationAbortedError)) (options.onError ?? console.error)(error);
        await association.abort();
      } finally {
        handled.resolve();
      }
      await association.closed;
    } catch {
      // Rejected, aborted, silent or broken peers: reported through `events`.
    } finally {
      if (!overLimit) this.#active--;
    }
  }
}

/**
 * Serves associations over TCP: every connection runs the acceptor of
 * {@linkcode acceptAssociation}, and each established association goes to
 * `handler`. Bad peers (garbage, silence, vanishing mid-PDU) end their own
 * association only; the server keeps accepting.
 *
 * @param listen A `Deno.TcpListener` or `Deno.TlsListener` (or another {@linkcode AssociationListener}) to take over, or
 * `{ hostname, port }` to listen on (port 0 picks a free port, see
 * {@linkcode AssociationServer.addr}); `{ hostname, port, tls: { cert, key } }`
 * serves TLS only (PS3.15 Annex B, BCP 195: TLS 1.2 or later).
 * @param handler Called with each established association.
 * @param options Acceptor options for every association, and server limits.
 * @returns The running server.
 *
 * @example Count associations
 * ```ts
 * import { serveAssociations } from "@dcm/net/association";
 *
 * let count = 0;
 * const server = serveAssociations({ hostname: "127.0.0.1", port: 0 }, () => void count++);
 * await server.shutdown();
 * ```
 */
export function serveAssociations(
  listen: ListenTarget,
  handler: AssociationHandler,
  options: AssociationServerOptions = {},
): AssociationServer {
  if ("accept" in listen) return new AssociationServer(listen, handler, options);
  const hostname = listen.hostname ?? "0.0.0.0";
  const listener: AssociationListener = listen.tls
    ? Deno.listenTls({ hostname, port: listen.port, cert: listen.tls.cert, key: listen.tls.key })
    : Deno.listen({ hostname, port: listen.port, transport: "tcp" });
  return new AssociationServer(listener, handler, options);
}

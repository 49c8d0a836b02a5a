import type { MailError } from "@mailpath/core";

/**
 * Payloads of the provider's events. None ever carries a secret, an assertion or a token.
 * @since 0.1.0
 */
export interface EntraEventMap {
  /** A new token was fetched from the token endpoint. */
  token: {
    readonly expiresOn: Date;
    readonly fromCache: false;
    readonly scope: string;
    /** Entra's trace id of the response, when it sent one. */
    readonly requestId?: string;
  };
  /** The client certificate expires within `certificateExpiryWarningDays` (or has expired: `daysLeft <= 0`). */
  certificateExpiring: {
    readonly daysLeft: number;
    readonly notAfter: Date;
    /** SHA-256 thumbprint (hex) of the certificate. */
    readonly thumbprint: string;
  };
  /** A token request failed; the same error is thrown to the caller (or, for a refresh while the cached token is still valid, only reported here). */
  error: { readonly error: MailError };
}

/**
 * One event as `onEvent` receives it.
 * @since 0.1.0
 */
export type EntraEvent = {
  [Name in keyof EntraEventMap]: { readonly type: Name } & EntraEventMap[Name];
}[keyof EntraEventMap];

/**
 * Listener of one event.
 * @since 0.1.0
 */
export type EntraEventListener<Name extends keyof EntraEventMap> = (
  payload: EntraEventMap[Name],
) => void;

/**
 * A minimal emitter. Node's EventEmitter is avoided on purpose: it throws on an "error"
 * event without a listener, and a token provider must never crash the process for a log line.
 */
export class EntraEvents {
  private readonly listeners = new Map<keyof EntraEventMap, Set<(payload: never) => void>>();

  constructor(private readonly onEvent?: (event: EntraEvent) => void) {}

  on<Name extends keyof EntraEventMap>(name: Name, listener: EntraEventListener<Name>): void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener as (payload: never) => void);
  }

  off<Name extends keyof EntraEventMap>(name: Name, listener: EntraEventListener<Name>): void {
    this.listeners.get(name)?.delete(listener as (payload: never) => void);
  }

  emit<Name extends keyof EntraEventMap>(name: Name, payload: EntraEventMap[Name]): void {
    const call = (listener: () => void) => {
      try {
        listener();
      } catch {
        // A listener's failure must not fail the token request.
      }
    };
    if (this.onEvent) {
      const onEvent = this.onEvent;
      call(() => onEvent({ type: name, ...payload } as EntraEvent));
    }
    for (const listener of this.listeners.get(name) ?? []) {
      call(() => (listener as EntraEventListener<Name>)(payload));
    }
  }
}

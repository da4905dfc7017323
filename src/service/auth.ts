/**
 * @module service/auth
 * Access tokens of `strata serve`: a token is a random 32-byte secret shown once at creation;
 * the store keeps only its SHA-256 (hex) with a public id, a label and a scope ("read" may call
 * every GET route, "write" also the routes that change something). A request presents the
 * secret as `Authorization: Bearer <secret>`, as the `access_token` query parameter (an
 * EventSource cannot set headers) or as the `strata_token` cookie (set when the page is opened
 * with `/?access_token=…`).
 *
 * Units: none (secrets are base64url text, hashes hex).
 */
import { createHash, randomBytes } from "node:crypto";
import { ValidationError } from "../core/errors.ts";
import type { Store, TokenRecord, TokenScope } from "../store/types.ts";

/** Bytes of randomness in a secret. */
export const SECRET_BYTES = 32;
/** Bytes of randomness in a token's public id. */
export const TOKEN_ID_BYTES = 6;
/** Every secret starts with this, so a leaked one is recognisable in logs and scanners. */
export const SECRET_PREFIX = "strata_";
/** The cookie the page's token travels in. */
export const TOKEN_COOKIE = "strata_token";
/** The query parameter a token may be given in. */
export const TOKEN_QUERY = "access_token";
/** Longest label accepted. */
export const MAX_LABEL_CHARACTERS = 200;

export const TOKEN_SCOPES: readonly TokenScope[] = ["read", "write"];

/** A token as created: the secret is returned here and nowhere else. */
export interface CreatedToken extends TokenRecord {
  secret: string;
}

/** Hex SHA-256 of a secret: what the store keeps. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** Validate a scope given on the command line or in a request. */
export function parseScope(value: unknown, field = "--scope"): TokenScope {
  if (value === "read" || value === "write") return value;
  throw new ValidationError(field, "must be read or write", value);
}

/** Create a token, store its hash, and return it with its secret (shown once). */
export async function createToken(store: Store, options: { scope: TokenScope; label?: string }): Promise<CreatedToken> {
  const label = options.label ?? "";
  if (label.length > MAX_LABEL_CHARACTERS) throw new ValidationError("--label", `longer than ${MAX_LABEL_CHARACTERS} characters`, label.length);
  const secret = SECRET_PREFIX + randomBytes(SECRET_BYTES).toString("base64url");
  const record: TokenRecord = {
    id: `tok_${randomBytes(TOKEN_ID_BYTES).toString("hex")}`,
    label,
    scope: options.scope,
    createdAt: new Date().toISOString(),
  };
  await store.putToken({ ...record, hash: hashSecret(secret) });
  return { ...record, secret };
}

/** What a request carries that may hold a secret (headers as Node gives them). */
export interface Credentials {
  authorization?: string | string[] | undefined;
  cookie?: string | string[] | undefined;
  /** the `access_token` query parameter */
  query?: unknown;
}

/** The secret a request presents, or undefined: header first, then query, then cookie. */
export function presentedSecret(credentials: Credentials): string | undefined {
  const authorization = first(credentials.authorization);
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match ? match[1] : undefined;
  }
  const query = first(credentials.query as string | string[] | undefined);
  if (typeof query === "string" && query !== "") return query;
  const cookie = first(credentials.cookie);
  return cookie === undefined ? undefined : cookieValue(cookie, TOKEN_COOKIE);
}

/** The value of one cookie in a Cookie header, or undefined. */
export function cookieValue(header: string, name: string): string | undefined {
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return undefined;
}

/** The Set-Cookie value that keeps the page's token for later requests (not readable by scripts). */
export function tokenCookie(secret: string): string {
  return `${TOKEN_COOKIE}=${encodeURIComponent(secret)}; Path=/; HttpOnly; SameSite=Strict`;
}

/** The token a secret belongs to, or undefined (unknown or revoked). */
export async function authenticate(store: Store, secret: string | undefined): Promise<TokenRecord | undefined> {
  if (secret === undefined || secret === "") return undefined;
  return store.tokenByHash(hashSecret(secret));
}

/** Whether a token of this scope may call a route needing `needed`. */
export function allows(scope: TokenScope, needed: TokenScope): boolean {
  return needed === "read" || scope === "write";
}

function first<T>(value: T | T[] | undefined): T | undefined {
  return Array.isArray(value) ? value[0] : value;
}

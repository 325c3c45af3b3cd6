// Where bearer tokens come from. Every call and every watch reconnect asks the source, so a
// long-lived client keeps working while short-lived tokens rotate.
import { execFile } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { promisify } from "node:util";

/** A fixed token, or a function returning the current one (it decides when to refresh). */
export type TokenSource = string | (() => string | Promise<string>);

/** The token in a file, re-read whenever the file changes (a rotated secret or a sidecar). */
export function fileToken(path: string): () => Promise<string> {
  let stamp = "";
  let token = "";
  return async () => {
    const info = await stat(path);
    const now = `${info.mtimeMs}:${info.size}`;
    if (now !== stamp) {
      token = (await readFile(path, "utf8")).trim();
      stamp = now;
    }
    return token;
  };
}

/** The `exp` claim of a JWT in seconds, read without verifying; undefined if there is none. */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
    return typeof claims?.exp === "number" ? claims.exp : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The output of a command (argv, no shell), run again `refreshBeforeMs` before the token's
 * JWT expiry, or after `maxAgeMs` for tokens that are not JWTs.
 */
export function commandToken(
  argv: string[],
  options: { refreshBeforeMs?: number; maxAgeMs?: number } = {},
): () => Promise<string> {
  const run = promisify(execFile);
  let token = "";
  let refreshAt = 0;
  return async () => {
    if (!token || Date.now() >= refreshAt) {
      const { stdout } = await run(argv[0], argv.slice(1), { timeout: 30_000 });
      token = stdout.trim();
      const exp = jwtExpiry(token);
      refreshAt =
        exp !== undefined
          ? exp * 1000 - (options.refreshBeforeMs ?? 60_000)
          : Date.now() + (options.maxAgeMs ?? 300_000);
    }
    return token;
  };
}

/** The current token of any source. */
export async function currentToken(source: TokenSource): Promise<string> {
  return typeof source === "string" ? source : (await source()).trim();
}

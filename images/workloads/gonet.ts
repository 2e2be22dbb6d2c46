// The text forms of Go's net package, which agnhost prints and which probes parse: "IP:PORT" with IPv6 in
// brackets, IPv4-mapped IPv6 shown as plain IPv4, and errno messages in glibc/Go wording
// ("connection refused", "no route to host"; Antrea's probe looks for these exact words).

export function formatHostPort(address: string, port: number): string {
  const ip = plainIp(address);
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** "::ffff:10.0.0.1" (an IPv4 peer on a dual-stack socket) -> "10.0.0.1"; other addresses unchanged. */
export function plainIp(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

/** Go's net.SplitHostPort: "host:port" or "[v6]:port"; throws with Go's message when malformed. */
export function splitHostPort(hostport: string): { host: string; port: string } {
  const bracketed = /^\[([^\]]*)\]:([^:]*)$/.exec(hostport);
  if (bracketed) return { host: bracketed[1] ?? "", port: bracketed[2] ?? "" };
  const colon = hostport.lastIndexOf(":");
  if (colon === -1) throw new Error(`address ${hostport}: missing port in address`);
  const host = hostport.slice(0, colon);
  if (host.includes(":") || host.includes("["))
    throw new Error(`address ${hostport}: too many colons in address`);
  return { host, port: hostport.slice(colon + 1) };
}

const ERRNO_TEXT: Record<string, string> = {
  EACCES: "permission denied",
  EADDRINUSE: "address already in use",
  EADDRNOTAVAIL: "cannot assign requested address",
  EAFNOSUPPORT: "address family not supported by protocol",
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by peer",
  EHOSTUNREACH: "no route to host",
  EINVAL: "invalid argument",
  EMSGSIZE: "message too long",
  ENETUNREACH: "network is unreachable",
  EPERM: "operation not permitted",
  ETIMEDOUT: "connection timed out",
};

/** The Go/glibc wording of a Node system error ("connection refused" for ECONNREFUSED). */
export function errnoText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code && ERRNO_TEXT[code]) return ERRNO_TEXT[code];
  return code ?? (err instanceof Error ? err.message : String(err));
}

export function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

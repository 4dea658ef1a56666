/**
 * Just enough of the DNS wire format (RFC 1035) for the pods' resolver: read a query's header and
 * first question, and write an answer of A records, an empty answer, or NXDOMAIN. Pure: the UDP
 * socket is dns-server.ts's.
 */

export const TYPE_A = 1;
export const TYPE_PTR = 12;
export const TYPE_AAAA = 28;
export const TYPE_ANY = 255;
export const RCODE_OK = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;

export interface DnsQuery {
  id: number;
  /** Recursion desired, echoed back. */
  rd: boolean;
  /** The name asked for, lower case, without the final dot. */
  name: string;
  type: number;
  qclass: number;
  /** Where the first question ends in the packet. */
  questionEnd: number;
}

/** The query in `buf`, or undefined when it is not one (a response, truncated, compressed question). */
export function parseQuery(buf: Buffer): DnsQuery | undefined {
  if (buf.length < 12) return undefined;
  const flags = buf.readUInt16BE(2);
  if (flags & 0x8000) return undefined; // A response.
  if ((flags >> 11) & 0xf) return undefined; // Not a standard query.
  if (buf.readUInt16BE(4) < 1) return undefined;
  const labels: string[] = [];
  let i = 12;
  for (;;) {
    if (i >= buf.length) return undefined;
    const len = buf[i]!;
    if (len === 0) {
      i++;
      break;
    }
    if (len & 0xc0) return undefined; // Compression in a question: not from a real resolver.
    if (i + 1 + len > buf.length) return undefined;
    labels.push(buf.toString('latin1', i + 1, i + 1 + len));
    i += 1 + len;
  }
  if (i + 4 > buf.length) return undefined;
  return { id: buf.readUInt16BE(0), rd: Boolean(flags & 0x0100), name: labels.join('.').toLowerCase(), type: buf.readUInt16BE(i), qclass: buf.readUInt16BE(i + 2), questionEnd: i + 4 };
}

/**
 * The answer to `q` (its question copied from `request`): `ips` as A records with `ttl`, an empty
 * answer (the name exists, not with that type), or `rcode` alone.
 */
export function buildAnswer(request: Buffer, q: DnsQuery, rcode: number, ips: readonly string[] = [], ttl = 5): Buffer {
  const question = request.subarray(12, q.questionEnd);
  const answers = ips.map((ip) => {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0); // The name: a pointer to the question's.
    rr.writeUInt16BE(TYPE_A, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(ttl, 6);
    rr.writeUInt16BE(4, 10);
    ip.split('.').forEach((p, k) => rr.writeUInt8(Number(p), 12 + k));
    return rr;
  });
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  // QR, authoritative, RD echoed, RA (the server forwards other names).
  header.writeUInt16BE(0x8000 | 0x0400 | (q.rd ? 0x0100 : 0) | 0x0080 | (rcode & 0xf), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  return Buffer.concat([header, question, ...answers]);
}

/** The answer to a reverse query (`d.c.b.a.in-addr.arpa`): one PTR record naming `target`. */
export function buildPtrAnswer(request: Buffer, q: DnsQuery, target: string, ttl = 5): Buffer {
  const question = request.subarray(12, q.questionEnd);
  const name = Buffer.concat([...target.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])), Buffer.from([0])]);
  const rr = Buffer.alloc(12);
  rr.writeUInt16BE(0xc00c, 0);
  rr.writeUInt16BE(TYPE_PTR, 2);
  rr.writeUInt16BE(1, 4);
  rr.writeUInt32BE(ttl, 6);
  rr.writeUInt16BE(name.length, 10);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  header.writeUInt16BE(0x8000 | 0x0400 | (q.rd ? 0x0100 : 0) | 0x0080, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(1, 6);
  return Buffer.concat([header, question, rr, name]);
}

/** Only the header of a failure (FORMERR, SERVFAIL) for a packet that could not be answered otherwise. */
export function errorReply(request: Buffer, rcode: number): Buffer | undefined {
  if (request.length < 12) return undefined;
  const header = Buffer.from(request.subarray(0, 12));
  header.writeUInt16BE(0x8000 | (header.readUInt16BE(2) & 0x0100) | 0x0080 | (rcode & 0xf), 2);
  header.writeUInt16BE(0, 4);
  header.writeUInt16BE(0, 6);
  header.writeUInt16BE(0, 8);
  header.writeUInt16BE(0, 10);
  return header;
}

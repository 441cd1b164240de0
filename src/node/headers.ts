/** Node's request headers in the shape admission reads (as the core's `toHeaderRecord` for Fetch). */
import type { IncomingHttpHeaders } from 'node:http';

/** One string per lower-case name: repeated headers joined with ", ", as Fetch does. */
export function fromNodeHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const record: Record<string, string> = {};
  // for...in, not Object.entries: no array per header on every connect.
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined) record[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return record;
}

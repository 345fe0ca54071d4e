// Responses the proxy makes itself: nginx's status texts, and short plain-text bodies that say
// which failure happened (no route, no ready endpoints, connection refused, timeout) without
// revealing endpoint addresses (those go to the access log). Pure.

/** nginx's reason phrases. */
export const statusText: Readonly<Record<number, string>> = {
  301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Not Allowed', 408: 'Request Time-out',
  413: 'Request Entity Too Large', 414: 'Request-URI Too Large', 421: 'Misdirected Request', 429: 'Too Many Requests',
  431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
};

/** `503 Service Temporarily Unavailable: <detail>\n`. */
export function errorBody(status: number, detail: string | undefined): string {
  const head = `${status} ${statusText[status] ?? ''}`.trimEnd();
  return detail === undefined || detail === '' ? `${head}\n` : `${head}: ${detail}\n`;
}

/** A complete HTTP/1.1 response for a raw socket (client errors, refused upgrades). */
export function rawResponse(status: number, detail?: string, extra: Record<string, string> = {}): string {
  const body = errorBody(status, detail);
  let head = `HTTP/1.1 ${status} ${statusText[status] ?? ''}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n`;
  for (const [k, v] of Object.entries(extra)) head += `${k}: ${v}\r\n`;
  return `${head}\r\n${body}`;
}

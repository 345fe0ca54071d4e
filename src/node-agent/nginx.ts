// Configuration for the catalog's `nginx` image: the official image's nginx.conf and conf.d/default.conf
// (document root /usr/share/nginx/html, access log to stdout and errors to stderr so `kubectl logs`
// shows them), run by the host's nginx. In host mode, where Pods share the machine's filesystem and
// ports, every path and the listen address are the Pod's own. Pure.

/** Where the files go and what nginx listens on. */
export interface NginxLayout {
  /** 'pod': a private root, the files are mounted at /etc/nginx; 'host': paths under `dir`. */
  mode: 'pod' | 'host';
  /** Host mode: the Pod's nginx directory (config, pid, temp files). */
  dir?: string;
  /** Host mode: the document root. */
  docroot?: string;
  /** Host mode: the address to listen on (the Pod's IP). */
  listen?: string;
  /** Whether to listen on [::] too (pod mode, when IPv6 is on). */
  ipv6?: boolean;
}

const logFormat = `    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';`;

/** nginx.conf: the official image's, with logs on the container's stdout/stderr. */
export function renderNginxConf(l: NginxLayout): string {
  const host = l.mode === 'host';
  const dir = l.dir ?? '/etc/nginx';
  return [
    host ? '# Switchboard host-mode nginx for one Pod.' : 'user  www-data;',
    'worker_processes  auto;',
    '',
    'error_log  /dev/stderr notice;',
    `pid        ${host ? `${dir}/nginx.pid` : '/var/run/nginx.pid'};`,
    '',
    'events {',
    '    worker_connections  1024;',
    '}',
    '',
    'http {',
    '    include       /etc/nginx/mime.types;',
    '    default_type  application/octet-stream;',
    '',
    logFormat,
    '',
    '    access_log  /dev/stdout  main;',
    ...(host ? [
      `    client_body_temp_path ${dir}/client_body;`,
      `    proxy_temp_path ${dir}/proxy;`,
      `    fastcgi_temp_path ${dir}/fastcgi;`,
      `    uwsgi_temp_path ${dir}/uwsgi;`,
      `    scgi_temp_path ${dir}/scgi;`,
    ] : []),
    '',
    '    sendfile        on;',
    '    keepalive_timeout  65;',
    '',
    `    include ${host ? `${dir}/conf.d` : '/etc/nginx/conf.d'}/*.conf;`,
    '}',
    '',
  ].join('\n');
}

/** conf.d/default.conf: port 80, the stock welcome page from the document root. */
export function renderNginxDefaultServer(l: NginxLayout): string {
  const root = l.mode === 'host' ? l.docroot ?? '/usr/share/nginx/html' : '/usr/share/nginx/html';
  const listen = l.mode === 'host' ? [`    listen       ${l.listen ?? '127.0.0.1'}:80;`] : ['    listen       80;', ...(l.ipv6 === true ? ['    listen  [::]:80;'] : [])];
  return [
    'server {',
    ...listen,
    '    server_name  localhost;',
    '',
    '    location / {',
    `        root   ${root};`,
    '        index  index.html index.htm;',
    '    }',
    '',
    '    error_page   500 502 503 504  /50x.html;',
    '    location = /50x.html {',
    `        root   ${root};`,
    '    }',
    '}',
    '',
  ].join('\n');
}

/**
 * Public suffixes of more than one label (MS203): names under them belong to unrelated
 * registrants, so `*.co.uk` is as broad as `*.com`. A short list of the most used ones, taken
 * from the Public Suffix List (https://publicsuffix.org, ICANN section, and a few private
 * hosting suffixes where anyone can get a subdomain); no PSL package is installed and the lint
 * must not need the network. A suffix missing here only loses the warning.
 */
const SUFFIXES = [
  // ICANN: second-level registries.
  'ac.uk', 'co.uk', 'gov.uk', 'ltd.uk', 'me.uk', 'net.uk', 'org.uk', 'plc.uk',
  'com.au', 'edu.au', 'gov.au', 'net.au', 'org.au',
  'co.nz', 'net.nz', 'org.nz',
  'ac.jp', 'co.jp', 'go.jp', 'ne.jp', 'or.jp',
  'co.kr', 'or.kr',
  'com.cn', 'gov.cn', 'net.cn', 'org.cn',
  'com.hk', 'com.tw', 'com.sg', 'com.my', 'com.ph', 'com.vn', 'co.id', 'co.th', 'co.in', 'net.in', 'org.in',
  'co.il', 'co.za', 'com.tr', 'com.ua', 'com.pl',
  'com.br', 'net.br', 'org.br', 'com.ar', 'com.mx', 'com.co',
  // Private section: platforms handing out subdomains to anyone.
  'github.io', 'gitlab.io', 'herokuapp.com', 'appspot.com', 'blogspot.com', 'azurewebsites.net', 'cloudfront.net',
  'netlify.app', 'vercel.app', 'pages.dev', 'workers.dev', 'web.app', 'firebaseapp.com', 'ngrok.io', 'ngrok-free.app',
];

const SET = new Set(SUFFIXES);

/** True when `domain` (lower case) is a top-level domain or a listed multi-label public suffix. */
export function isPublicSuffix(domain: string): boolean {
  return !domain.includes('.') || SET.has(domain);
}

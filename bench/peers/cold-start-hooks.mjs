// Module hooks for cold-start.mjs: reports every module URL under nodemailer/ that gets loaded
// (ESM imports of CommonJS do not show up in require.cache on Node 20, so that is not enough).
let port;
export function initialize(data) {
  port = data.port;
}
export async function load(url, context, nextLoad) {
  if (/[/\\]nodemailer[/\\]/.test(url)) port.postMessage(url);
  return nextLoad(url, context);
}

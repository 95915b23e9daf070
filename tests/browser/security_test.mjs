// Browser safety in a real Chromium (playwright-core) against the real livekv binary: what a web
// page on another origin can and cannot do to a livekv.
//   1. Without an auth file or --cors-origin (the holes this test was written for): a page from
//      another origin cannot open the /wal WebSocket, cannot open an EventSource, and a blind
//      "no-cors" POST /v1/batch writes nothing.
//   2. With --auth-file and --cors-origin <page origin>: that page can PUT, GET, list, subscribe
//      with EventSource (access_token) and WebSocket (bearer.<token> subprotocol); a page from a
//      third origin can do none of it, token or not.
//   3. The console, served by livekv itself, works once given a token.
//
//   node security_test.mjs <path/to/livekv>        (tests/browser/run.sh installs the dependencies)
// Every wait is bounded; the whole run is bounded by RUN_LIMIT_MS.
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, WAIT_MS, binaryArg, check, runLimit, servers, startLivekv, step, stopLivekv,
         tally } from "./harness.mjs";

const RUN_LIMIT_MS = 150_000;
const binary = binaryArg("security_test.mjs");
const independent = { stopOnFailure: false };  // each step stands alone: report them all

// A page server: any path answers an empty HTML page, so that the page's origin is this server's.
function startPageServer() {
  const srv = createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end("<!doctype html><title>a page</title><p>page</p>");
  });
  return new Promise((resolve) => srv.listen(0, "127.0.0.1", () => resolve(srv)));
}

// What a page's script tries, run inside the page: each result is a short string.
async function attempts(page, base, token) {
  return page.evaluate(async ({ base, token, waitMs }) => {
    const out = {};
    const auth = token ? { Authorization: `Bearer ${token}` } : {};
    const settle = (p) => Promise.race([p, new Promise((r) => setTimeout(() => r("timeout"), waitMs))]);
    try {
      const r = await fetch(`${base}/v1/kv/app/from-page`, { method: "PUT", headers: { ...auth, "Content-Type": "text/plain" }, body: "hello" });
      out.put = `status ${r.status} etag ${r.headers.get("ETag") !== null}`;
    } catch (e) { out.put = `error ${e.name}`; }
    try {
      const r = await fetch(`${base}/v1/kv/app/from-page`, { headers: auth });
      out.get = `status ${r.status} body ${await r.text()} rev ${r.headers.get("KV-Revision") !== null}`;
    } catch (e) { out.get = `error ${e.name}`; }
    try {
      const r = await fetch(`${base}/v1/kv?prefix=app/`, { headers: auth });
      const body = await r.json();
      out.list = `status ${r.status} keys ${(body.items ?? []).map((i) => i.key).join(",")}`;
    } catch (e) { out.list = `error ${e.name}`; }
    // The blind write of a cross-site request forgery: the page cannot read the answer, but the
    // request goes out; the server must refuse it before it does anything.
    try {
      await fetch(`${base}/v1/batch`, { method: "POST", mode: "no-cors", headers: { "Content-Type": "text/plain" },
                                        body: JSON.stringify({ ops: [{ op: "put", key: "app/csrf", value: "pwned" }] }) });
      out.csrf = "sent";
    } catch (e) { out.csrf = `error ${e.name}`; }
    out.sse = await settle(new Promise((resolve) => {
      const url = `${base}/v1/watch?prefix=app/` + (token ? `&access_token=${encodeURIComponent(token)}` : "");
      const es = new EventSource(url);
      es.addEventListener("progress", () => { es.close(); resolve("progress"); });
      es.onerror = () => { es.close(); resolve("error"); };
    }));
    out.ws = await settle(new Promise((resolve) => {
      const url = base.replace(/^http/, "ws") + "/wal";
      const ws = token ? new WebSocket(url, [`bearer.${token}`]) : new WebSocket(url);
      ws.onmessage = (m) => { const op = JSON.parse(m.data).op; ws.close(); resolve(`message ${op} protocol ${ws.protocol ? "bearer" : "none"}`); };
      ws.onerror = () => resolve("error");
    }));
    return out;
  }, { base, token, waitMs: WAIT_MS - 2000 });
}

async function serverGet(base, path, token) {
  const res = await fetch(`${base}${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  return { status: res.status, text: await res.text() };
}

const watchdog = runLimit(RUN_LIMIT_MS);

const dir = mkdtempSync(join(tmpdir(), "livekv-security-test-"));
let context = null;
const pageServers = [];
try {
  const allowedPages = await startPageServer();
  const otherPages = await startPageServer();
  pageServers.push(allowedPages, otherPages);
  const allowedOrigin = `http://127.0.0.1:${allowedPages.address().port}`;
  const otherOrigin = `http://127.0.0.1:${otherPages.address().port}`;

  // Tokens made by livekv itself, as a user would.
  const make = (name, roles) => {
    const out = execFileSync(binary, ["--hash-token"]).toString();
    const token = /^token: (\S+)$/m.exec(out)[1];
    const entry = JSON.parse(/^entry: (.*)$/m.exec(out)[1]);
    return { token, entry: { ...entry, name, roles } };
  };
  const writer = make("page", ["read", "write"]);
  const admin = make("admin", ["read", "write", "admin"]);
  const authFile = join(dir, "tokens.json");
  writeFileSync(authFile, JSON.stringify([writer.entry, admin.entry], null, 2));

  const open = startLivekv(binary, []);
  const secured = startLivekv(binary, ["--auth-file", authFile, "--cors-origin", allowedOrigin]);
  const openBase = await open.ready;
  const securedBase = await secured.ready;
  console.log(`open livekv at ${openBase}, secured at ${securedBase}; pages at ${allowedOrigin} and ${otherOrigin}`);

  context = await chromium.launchPersistentContext(dir + "/profile", {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(WAIT_MS);

  await step("a page from another origin cannot read the feed of, or write blindly to, a livekv without auth", async () => {
    await page.goto(`${otherOrigin}/evil.html`);
    const r = await attempts(page, openBase, null);
    check(r.ws === "error", `WebSocket: ${r.ws}`);
    check(r.sse === "error", `EventSource: ${r.sse}`);
    check(r.put.startsWith("error"), `PUT: ${r.put}`);
    const csrf = await serverGet(openBase, "/v1/kv/app/csrf");
    check(csrf.status === 404, `the blind batch wrote: ${csrf.status} ${csrf.text}`);
    const put = await serverGet(openBase, "/v1/kv/app/from-page");
    check(put.status === 404, `the PUT wrote: ${put.status} ${put.text}`);
  }, independent);

  await step("a page from an allowed origin with a token can PUT, GET, list, and subscribe by EventSource and WebSocket", async () => {
    await page.goto(`${allowedOrigin}/app.html`);
    const r = await attempts(page, securedBase, writer.token);
    check(r.put === "status 201 etag true", `PUT: ${r.put}`);
    check(r.get === "status 200 body hello rev true", `GET: ${r.get}`);
    check(r.list === "status 200 keys app/from-page", `list: ${r.list}`);
    check(r.sse === "progress", `EventSource: ${r.sse}`);
    check(r.ws === "message progress protocol bearer", `WebSocket: ${r.ws}`);
  }, independent);

  await step("a page from an allowed origin without a token is refused (and can read why)", async () => {
    const r = await attempts(page, securedBase, null);
    check(r.put.startsWith("status 401"), `PUT: ${r.put}`);
    check(r.sse === "error" && r.ws === "error", `streams: ${r.sse} ${r.ws}`);
  }, independent);

  await step("a page from another origin cannot use a secured livekv even with a token", async () => {
    await page.goto(`${otherOrigin}/evil.html`);
    const before = await serverGet(securedBase, "/v1/kv/app/from-page", admin.token);
    const r = await attempts(page, securedBase, writer.token);
    check(r.put.startsWith("error") && r.get.startsWith("error") && r.list.startsWith("error"), JSON.stringify(r));
    check(r.sse === "error" && r.ws === "error", `streams: ${r.sse} ${r.ws}`);
    const csrf = await serverGet(securedBase, "/v1/kv/app/csrf", admin.token);
    check(csrf.status === 404, `the blind batch wrote: ${csrf.status}`);
    const after = await serverGet(securedBase, "/v1/kv/app/from-page", admin.token);
    check(after.text === before.text, "the value changed");
  }, independent);

  await step("the console works with a token: the feed goes live and shows a write", async () => {
    await page.goto(`${securedBase}/`);
    await page.waitForSelector('#conn-state:not([data-state="live"])');
    await page.fill("#token", admin.token);
    await page.click("#token-use");
    await page.waitForSelector('#conn-state[data-state="live"]');
    const res = await fetch(`${securedBase}/v1/kv/app/console`, {
      method: "PUT", headers: { Authorization: `Bearer ${writer.token}` }, body: "seen" });
    check(res.status === 201, `PUT ${res.status}`);
    await page.waitForSelector('tr[data-testid="feed-row"][data-key="app/console"]');
  }, independent);

  await context.close();
  context = null;
  await step("both servers shut down cleanly", async () => {
    check(await stopLivekv(open.child) === 0, "the open livekv did not exit 0");
    check(await stopLivekv(secured.child) === 0, "the secured livekv did not exit 0");
  }, independent);
} catch (err) {
  tally.failed += 1;
  console.log(`FAIL ${err.message}`);
} finally {
  clearTimeout(watchdog);
  if (context) await context.close().catch(() => {});
  for (const child of [...servers]) await stopLivekv(child);
  for (const s of pageServers) s.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(`${tally.passed} passed, ${tally.failed} failed`);
  process.exit(tally.failed === 0 ? 0 : 1);
}

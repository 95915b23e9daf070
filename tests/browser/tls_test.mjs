// HTTPS and WSS in a real browser (Debian's Chromium driven by playwright-core) against the real
// livekv binary started with --tls-cert: the web console loads over HTTPS, opens its live feed as
// wss:// (it follows the page's scheme) and shows a write made meanwhile; a WebSocket the page opens
// itself to wss://…/wal receives the write's event. The certificate is made here with the openssl
// command line; Chromium is told to accept it (--ignore-certificate-errors: the point is the TLS
// transport under a browser's own WebSocket and fetch, not the browser's trust store, which the
// curl and C++ tests cover with the CA).
//
//   node tls_test.mjs <path/to/livekv>        (tests/browser/run.sh installs the dependencies)
//
// Environment: LIVEKV_CHROMIUM overrides /usr/bin/chromium. Exit status 0 when every check passed.
// Every wait is bounded; the whole run is bounded by RUN_LIMIT_MS.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const WAIT_MS = 15_000;
const RUN_LIMIT_MS = 90_000;
const CHROMIUM = process.env.LIVEKV_CHROMIUM || "/usr/bin/chromium";

const binary = process.argv[2];
if (!binary) {
  console.error("usage: node tls_test.mjs <livekv-binary>");
  process.exit(2);
}

let passed = 0;
let failed = 0;
async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed += 1;
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    failed += 1;
    console.log(`FAIL ${name}: ${err.message}`);
    throw err;
  }
}
function check(cond, message) {
  if (!cond) throw new Error(message);
}

// A CA and a server certificate for 127.0.0.1 and localhost, P-256.
const dir = mkdtempSync(join(tmpdir(), "livekv-tls-browser-"));
const openssl = (...args) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
        "-subj", "/CN=livekv browser test CA", "-keyout", join(dir, "ca.key"), "-out", join(dir, "ca.pem"));
openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
        "-keyout", join(dir, "server.key"), "-out", join(dir, "server.csr"));
writeFileSync(join(dir, "server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
openssl("x509", "-req", "-in", join(dir, "server.csr"), "-CA", join(dir, "ca.pem"), "-CAkey", join(dir, "ca.key"),
        "-set_serial", "1", "-days", "1", "-extfile", join(dir, "server.ext"), "-out", join(dir, "server.pem"));

const child = spawn(binary, ["--port", "0", "--in-memory", "--tls-cert", join(dir, "server.pem"),
                             "--tls-key", join(dir, "server.key")], { stdio: ["ignore", "pipe", "pipe"] });
let stderr = "";
child.stderr.on("data", (d) => { stderr = (stderr + d).slice(-8192); });
const ready = new Promise((resolve, reject) => {
  let out = "";
  const timer = setTimeout(() => reject(new Error(`no "listening" line within ${WAIT_MS} ms\n${stderr}`)), WAIT_MS);
  child.stdout.on("data", (d) => {
    out += d;
    const m = /livekv listening on (https:\/\/\S+)/.exec(out);
    if (m) {
      clearTimeout(timer);
      resolve(m[1]);
    }
  });
  child.on("exit", (code, signal) => {
    clearTimeout(timer);
    reject(new Error(`livekv exited early (code ${code}, signal ${signal})\n${stderr}`));
  });
});

let context = null;
const watchdog = setTimeout(() => {
  console.log(`FAIL the run took longer than ${RUN_LIMIT_MS} ms`);
  child.kill("SIGKILL");
  process.exit(1);
}, RUN_LIMIT_MS);

try {
  const base = await ready;
  console.log(`livekv at ${base}, Chromium at ${CHROMIUM}`);
  context = await chromium.launchPersistentContext(join(dir, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--ignore-certificate-errors"],
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(WAIT_MS);

  // Writes from the page itself (same origin, over HTTPS).
  const put = (key, value) => page.evaluate(async ([k, v]) => {
    const res = await fetch(`/v1/kv/${encodeURIComponent(k)}`, { method: "PUT", body: v });
    return { status: res.status, body: await res.json() };
  }, [key, value]);

  await step("the console loads over HTTPS and its wss:// feed shows a live write", async () => {
    const res = await page.goto(`${base}/`);
    check(res.status() === 200, `status ${res.status()}`);
    check(page.url().startsWith("https://"), `not https: ${page.url()}`);
    // The feed says it is live once its bookmark arrived; then a write must reach the table.
    await page.waitForSelector('#conn-state[data-state="live"]');
    // Subscribed for sure once the first bookmark has arrived (it carries a revision).
    await page.waitForFunction(() => window.livekvConsole.lastRev !== null, null, { timeout: WAIT_MS });
    const w = await put("tls/console", "over wss");
    check(w.status === 201, `PUT status ${w.status}`);
    await page.waitForSelector(`tr[data-testid="feed-row"][data-rev="${w.body.revision}"]`, { timeout: WAIT_MS });
  });

  await step("a WebSocket the page opens to wss://…/wal receives the write's event", async () => {
    const event = page.evaluate((wait) => new Promise((resolve, reject) => {
      const ws = new WebSocket(`wss://${location.host}/wal?prefix=tls/ws`);
      const timer = setTimeout(() => reject(new Error("no put event over wss in time")), wait);
      ws.onerror = () => { clearTimeout(timer); reject(new Error("the wss connection failed")); };
      ws.onmessage = (m) => {
        const e = JSON.parse(m.data);
        if (e.op === "progress") {
          // Subscribed: now write, and wait for its event.
          if (!ws.wrote) {
            ws.wrote = true;
            fetch("/v1/kv/tls/ws", { method: "PUT", body: "x" });
          }
          return;
        }
        clearTimeout(timer);
        ws.close();
        resolve(e);
      };
    }), WAIT_MS);
    const e = await event;
    check(e.op === "put" && e.key === "tls/ws", `unexpected event ${JSON.stringify(e)}`);
  });
} catch (err) {
  if (failed === 0) {
    failed += 1;
    console.log(`FAIL ${err.message}`);
  }
  if (stderr) console.log(`livekv stderr:\n${stderr}`);
} finally {
  clearTimeout(watchdog);
  if (context) await context.close().catch(() => {});
  child.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

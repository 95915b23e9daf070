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
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, WAIT_MS, binaryArg, check, runLimit, startLivekv, step, stopLivekv,
         tally } from "./harness.mjs";

const RUN_LIMIT_MS = 90_000;
const binary = binaryArg("tls_test.mjs");

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

const server = startLivekv(binary, ["--tls-cert", join(dir, "server.pem"), "--tls-key", join(dir, "server.key")]);

let context = null;
const watchdog = runLimit(RUN_LIMIT_MS);

try {
  const base = await server.ready;
  console.log(`livekv at ${base}, Chromium at ${CHROMIUM}`);
  context = await chromium.launchPersistentContext(join(dir, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, "--ignore-certificate-errors"],
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
  if (tally.failed === 0) {
    tally.failed += 1;
    console.log(`FAIL ${err.message}`);
  }
  if (server.stderr()) console.log(`livekv stderr:\n${server.stderr()}`);
} finally {
  clearTimeout(watchdog);
  if (context) await context.close().catch(() => {});
  const code = await stopLivekv(server.child);
  if (code !== 0 && tally.failed === 0) {
    tally.failed += 1;
    console.log(`FAIL livekv exited with ${code}`);
  }
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${tally.passed} passed, ${tally.failed} failed`);
process.exit(tally.failed === 0 ? 0 : 1);

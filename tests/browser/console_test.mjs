// The web console in a real browser (Debian's Chromium driven by playwright-core) against the real
// livekv binary: the page must show every write, whoever made it, and after losing its feed
// connection it must catch up with no gap and no duplicate. When catching up is impossible (the
// server no longer holds the revisions, or restarted without its data) it must say so and go on.
// The page must run under its Content-Security-Policy without a single violation, and a stored
// text/html value, opened in the browser, must not run its script on the server's origin.
//
//   node console_test.mjs <path/to/livekv>        (tests/browser/run.sh installs the dependencies)
//
// Environment: LIVEKV_CHROMIUM overrides /usr/bin/chromium. Exit status 0 when every check passed.
// Every wait is bounded; the whole run is bounded by RUN_LIMIT_MS.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, WAIT_MS, binaryArg, check, runLimit, servers, startLivekv, step, stopLivekv,
         tally } from "./harness.mjs";

const RUN_LIMIT_MS = 150_000; // below ctest's TIMEOUT, so a hang still ends with our own report
const binary = binaryArg("console_test.mjs");
const startServer = (port = 0, extraArgs = []) => startLivekv(binary, extraArgs, port);
const stopServer = stopLivekv;

// Every securitypolicyviolation event in `page` lands in pageProblems: what the console message
// check below might miss (a message worded differently) the event still reports. The listener is
// installed by the browser's devtools protocol, so the page's own policy does not apply to it.
async function reportPolicyViolations(page) {
  await page.exposeBinding("livekvReportViolation", (_source, text) => pageProblems.push(`CSP violation: ${text}`));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      window.livekvReportViolation(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} ` +
                                   `(${e.sourceFile || "?"}:${e.lineNumber})`);
    });
  });
}

// ---- the test ----------------------------------------------------------------------------------
let server = startServer();
const profile = mkdtempSync(join(tmpdir(), "livekv-console-test-"));
let context = null;
const pageProblems = [];  // script errors and CSP violations: the page must produce none
const consoleLog = [];    // the page's other errors and warnings, shown when a step fails

const watchdog = runLimit(RUN_LIMIT_MS);

try {
  const base = await server.ready;
  console.log(`livekv at ${base}, Chromium at ${CHROMIUM}`);

  // Writes from outside the page, as any other client would.
  const put = async (key, value, type = "text/plain") => {
    const res = await fetch(`${base}/v1/kv/${encodeURIComponent(key)}`, {
      method: "PUT", headers: { "Content-Type": type }, body: value,
    });
    const body = await res.text();
    check(res.status === 200 || res.status === 201, `PUT ${key}: ${res.status} ${body}`);
    return JSON.parse(body).revision;
  };

  await step("GET / serves the page with its security headers", async () => {
    const res = await fetch(`${base}/`);
    check(res.status === 200, `status ${res.status}`);
    check(res.headers.get("content-type") === "text/html; charset=utf-8", `content-type ${res.headers.get("content-type")}`);
    const csp = res.headers.get("content-security-policy") || "";
    check(/script-src 'sha256-[A-Za-z0-9+/]{43}='/.test(csp), `script-src is not a hash: ${csp}`);
    check(/style-src 'sha256-[A-Za-z0-9+/]{43}='/.test(csp), `style-src is not a hash: ${csp}`);
    check(csp.startsWith("default-src 'none';"), `no default-src 'none': ${csp}`);
    check(!csp.includes("unsafe-"), `an unsafe- source: ${csp}`);
    check(res.headers.get("x-content-type-options") === "nosniff", "no nosniff");
    check(res.headers.get("cache-control") === "no-cache", `cache-control ${res.headers.get("cache-control")}`);
    check((await res.text()).includes('id="feed-table"'), "not the console page");
  });

  // A persistent context is how playwright-core takes --user-data-dir (it refuses the flag in
  // args): a fresh temporary profile, so nothing from an earlier run (cache, storage) takes part.
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.on("pageerror", (err) => pageProblems.push(`page error: ${err.message}`));
  await reportPolicyViolations(page);
  // Failed connections are expected here (the test takes the browser offline) and Chromium logs
  // them as console errors; what must never appear is a policy violation or an exception.
  page.on("console", (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) pageProblems.push(`console ${msg.type()}: ${msg.text()}`);
    else if (msg.type() === "error" || msg.type() === "warning") consoleLog.push(`${msg.type()}: ${msg.text()}`);
  });

  // Rows in the feed table, oldest first: {rev, op, key}.
  const feedRows = () => page.$$eval('tr[data-testid="feed-row"]', (trs) =>
    trs.map((tr) => ({ rev: Number(tr.dataset.rev), op: tr.dataset.op, key: tr.dataset.key ?? null })).reverse());
  const waitForRev = (rev) => page.waitForSelector(`tr[data-testid="feed-row"][data-rev="${rev}"]`, { timeout: WAIT_MS });
  const stats = () => page.evaluate(() => window.livekvConsole.stats);

  // A stored value is served from this same origin under the type its writer chose. Opened in the
  // browser, a text/html value with a script that writes a key must not run: the value's
  // "Content-Security-Policy: sandbox" forbids scripts. Its own tab, so that the script blocking
  // the browser reports there is not taken for a problem of the console page.
  const xssPage = "<!doctype html><title>stored page</title><script>" +
    "fetch('/v1/kv/xss-proof', { method: 'PUT', body: '1' }).then(() => { document.title = 'script ran'; });" +
    "</script><p>a value stored as text/html</p>";
  const xssTab = await context.newPage();
  xssTab.setDefaultTimeout(WAIT_MS);
  await step("a stored text/html value opened in the browser does not run its script", async () => {
    await put("xss-page", xssPage, "text/html");
    const proofRequests = [];
    xssTab.on("request", (r) => { if (r.url().includes("xss-proof")) proofRequests.push(r.url()); });
    const res = await xssTab.goto(`${base}/v1/kv/xss-page`);
    check(res.status() === 200, `status ${res.status()}`);
    check(res.headers()["content-security-policy"] === "sandbox; default-src 'none'",
          `value CSP ${res.headers()["content-security-policy"]}`);
    // Parsed as the HTML document it is (not shown as text): the title element took effect.
    check(await xssTab.title() === "stored page", `title "${await xssTab.title()}"`);
    // The script would have started its fetch while the page loaded; give any request the time
    // to show (network idle: nothing on the wire for 500 ms, bounded by WAIT_MS).
    await xssTab.waitForLoadState("networkidle");
    check(proofRequests.length === 0, `the page requested ${proofRequests.join(", ")}`);
    const proof = await fetch(`${base}/v1/kv/xss-proof`);
    check(proof.status === 404, `xss-proof exists (status ${proof.status}): the stored script ran`);
  });

  // The control, so that the step above cannot pass for a wrong reason (a script that could not
  // have worked anyway): the very response the server sent, with only its CSP removed, runs the
  // script and the key appears.
  await step("the same value without its CSP does run its script (the control)", async () => {
    await xssTab.route((url) => url.pathname === "/v1/kv/xss-page", async (route) => {
      const response = await route.fetch();
      const headers = { ...response.headers() };
      delete headers["content-security-policy"];
      await route.fulfill({ response, headers });
    });
    await xssTab.goto(`${base}/v1/kv/xss-page`);
    await xssTab.waitForFunction(() => document.title === "script ran");
    const proof = await fetch(`${base}/v1/kv/xss-proof`);
    check(proof.status === 200 && (await proof.text()) === "1", `xss-proof: status ${proof.status}`);
    await xssTab.close();
  });

  let startRev = 0;
  await step("the page loads, runs under its CSP and goes live", async () => {
    await page.goto(`${base}/`);
    await page.waitForSelector('#conn-state[data-state="live"]');
    // Live means subscribed: the first progress bookmark tells the page where it starts.
    await page.waitForFunction(() => window.livekvConsole.lastRev !== null);
    startRev = await page.evaluate(() => window.livekvConsole.lastRev);
    check(pageProblems.length === 0, pageProblems.join("\n"));
  });

  await step("(a) a put through the page's form appears in the feed", async () => {
    await page.fill("#kv-key", "console/form");
    await page.fill("#kv-value", "written by the form");
    await page.click("#kv-put");
    const result = await page.waitForSelector('#kv-result[data-ok="true"]');
    const rev = Number(await result.getAttribute("data-revision"));
    check(rev === startRev + 1, `the form's put got revision ${rev}, expected ${startRev + 1}`);
    const row = await waitForRev(rev);
    check(await row.getAttribute("data-op") === "put", "row op is not put");
    check(await row.getAttribute("data-key") === "console/form", "row key is wrong");
    const value = await row.$eval("td.value", (td) => td.textContent);
    check(value.includes("written by the form"), `row value is "${value}"`);
  });

  await step("(b) a put from another client appears in the feed", async () => {
    const rev = await put("node/b", "written by node");
    const row = await waitForRev(rev);
    check(await row.getAttribute("data-key") === "node/b", "row key is wrong");
  });

  // (c) The feed connection dies. Reconnects are held off (the browser is offline) while five keys
  // are written, so those five can only reach the page through the resume (since=<last rev>).
  await step("(c) after a dropped connection the page catches up with no gap, no duplicate", async () => {
    await context.setOffline(true);
    await page.evaluate(() => window.livekvConsole.dropConnection());
    await page.waitForSelector('#conn-state[data-state="reconnecting"]');
    const lastSeen = await page.evaluate(() => window.livekvConsole.lastRev);
    const revs = [];
    for (let i = 1; i <= 5; i += 1) revs.push(await put(`offline/${i}`, `written while the page was offline (${i})`));
    check(revs.every((r, i) => r === lastSeen + 1 + i), `unexpected revisions ${revs} after ${lastSeen}`);
    const early = (await feedRows()).filter((r) => revs.includes(r.rev));
    check(early.length === 0, `rows ${early.map((r) => r.rev)} arrived while the page was offline`);
    await context.setOffline(false);  // the page's "online" handler reconnects at once
    await page.waitForSelector('#conn-state[data-state="live"]');
    for (const r of revs) await waitForRev(r);
  });

  await step("(c) again, reconnecting by itself while writes race the reconnect", async () => {
    await page.evaluate(() => window.livekvConsole.dropConnection());
    const revs = await Promise.all([1, 2, 3, 4, 5].map((i) => put(`racing/${i}`, `racing ${i}`)));
    for (const r of revs) await waitForRev(r);
  });

  await step("the feed shows every revision once, in order, and saw no gap or duplicate", async () => {
    // Let one more write through so that anything still in flight from the steps above would
    // have arrived before it.
    const last = await put("node/last", "last");
    await waitForRev(last);
    const rows = await feedRows();
    const shown = rows.map((r) => r.rev);
    const expected = Array.from({ length: last - startRev }, (_, i) => startRev + 1 + i);
    check(JSON.stringify(shown) === JSON.stringify(expected), `revisions shown ${shown}, expected ${expected}`);
    const s = await stats();
    check(s.gaps === 0 && s.duplicates === 0, `page counted gaps=${s.gaps} duplicates=${s.duplicates}`);
    const notices = await page.$$eval('tr[data-testid="feed-notice"]', (trs) => trs.map((tr) => tr.textContent));
    check(notices.length === 0, `notices: ${notices.join(" | ")}`);
  });

  await step("the key browser lists a prefix and loads a key into the editor", async () => {
    await page.fill("#browse-prefix", "offline/");
    await page.click("#browse-list");
    await page.waitForFunction(() => document.querySelectorAll('tr[data-testid="browse-row"]').length === 5);
    const keys = await page.$$eval('tr[data-testid="browse-row"]', (trs) => trs.map((tr) => tr.dataset.key));
    check(JSON.stringify(keys) === JSON.stringify([1, 2, 3, 4, 5].map((i) => `offline/${i}`)), `listed ${keys}`);
    await page.click('tr[data-testid="browse-row"][data-key="offline/3"] button');
    await page.waitForFunction(() => document.getElementById("kv-value").value === "written while the page was offline (3)");
  });

  await step("a delete through the form appears in the feed", async () => {
    await page.fill("#kv-key", "console/form");
    await page.evaluate(() => { document.getElementById("kv-result").dataset.ok = ""; });
    await page.click("#kv-delete");
    const result = await page.waitForSelector('#kv-result[data-ok="true"]');
    const rev = Number(await result.getAttribute("data-revision"));
    const row = await waitForRev(rev);
    check(await row.getAttribute("data-op") === "delete", "row op is not delete");
    check(pageProblems.length === 0, pageProblems.join("\n"));
  });

  // A second server that keeps only 4 events of history: a page that was away for more writes than
  // that cannot resume where it was (410). It must say which revisions it missed, then go on.
  await step("(d) a resume older than the server's history: the page names the missing revisions", async () => {
    const small = startServer(0, ["--feed-history", "4"]);
    try {
      const smallBase = await small.ready;
      const other = await context.newPage();
      other.setDefaultTimeout(WAIT_MS);
      other.on("pageerror", (err) => pageProblems.push(`page error: ${err.message}`));
      await reportPolicyViolations(other);
      await other.goto(`${smallBase}/`);
      await other.waitForFunction(() => window.livekvConsole.lastRev === 0);
      await other.evaluate(() => window.livekvConsole.pauseFeed());
      for (let i = 1; i <= 10; i += 1) {
        const res = await fetch(`${smallBase}/v1/kv/away%2F${i}`, { method: "PUT", body: String(i) });
        check(res.status === 201, `PUT away/${i}: ${res.status}`);
      }
      await other.evaluate(() => window.livekvConsole.resumeFeed());
      await other.waitForSelector('tr[data-testid="feed-row"][data-rev="10"]');
      const note = await other.textContent('tr[data-testid="feed-notice"]');
      const m = /revisions 1 to (\d+) are no longer held/.exec(note);
      check(m, `notice: ${note}`);
      const compact = Number(m[1]);
      const shown = (await other.$$eval('tr[data-testid="feed-row"]', (trs) => trs.map((tr) => Number(tr.dataset.rev)))).reverse();
      const expected = Array.from({ length: 10 - compact }, (_, i) => compact + 1 + i);
      check(JSON.stringify(shown) === JSON.stringify(expected), `revisions shown ${shown}, expected ${expected}`);
      await other.close();
      const code = await stopServer(small.child);
      check(code === 0, `the second livekv exited with ${code}`);
    } finally {
      await stopServer(small.child);
    }
  });

  // In memory, a restarted server starts again at revision 0: the page's since= is then ahead of
  // it, and resuming cannot work. The page must say so and follow the new server from its start.
  await step("after a restart that lost the data the page says so and follows the new server", async () => {
    const lastBefore = await page.evaluate(() => window.livekvConsole.lastRev);
    const code = await stopServer(server.child);
    check(code === 0, `livekv exited with ${code}`);
    server = startServer(new URL(base).port);  // the same origin, or the page could not reach it
    check(await server.ready === base, "the new server is not at the same address");
    const note = await page.waitForSelector('tr[data-testid="feed-notice"]');
    const text = await note.textContent();
    check(text.includes(`behind this page's ${lastBefore}`), `notice: ${text}`);
    await page.waitForSelector('#conn-state[data-state="live"]');
    await page.waitForFunction(() => window.livekvConsole.lastRev === 0);
    const rev = await put("after/restart", "new server");
    check(rev === 1, `first write on the new server has revision ${rev}`);
    await page.waitForSelector('tr[data-testid="feed-row"][data-rev="1"][data-key="after/restart"]');
    const s = await stats();
    check(s.gaps === 0 && s.duplicates === 0, `page counted gaps=${s.gaps} duplicates=${s.duplicates}`);
  });

  await step("the console pages saw no CSP violation and no script error", async () => {
    check(pageProblems.length === 0, pageProblems.join("\n"));
  });

  await context.close();
  context = null;
  await step("livekv shuts down cleanly on SIGTERM after serving the page", async () => {
    const code = await stopServer(server.child);
    check(code === 0, `exit status ${code}`);
  });
} catch (err) {
  if (tally.failed === 0) {
    tally.failed += 1;
    console.log(`FAIL ${err.message}`);
  }
} finally {
  clearTimeout(watchdog);
  if (context) await context.close().catch(() => {});
  for (const child of [...servers]) await stopServer(child);
  rmSync(profile, { recursive: true, force: true });
  if (tally.failed > 0 && consoleLog.length) console.log(`--- page console ---\n${consoleLog.slice(-30).join("\n")}`);
  if (tally.failed > 0 && server.stderr()) console.log(`--- livekv stderr (tail) ---\n${server.stderr()}`);
  console.log(`${tally.passed} passed, ${tally.failed} failed`);
  process.exit(tally.failed === 0 ? 0 : 1);
}

// What the browser tests share: named steps with a pass/fail count, checks, starting and stopping
// the real livekv (read its address from the line it prints once ready), and Chromium's flags.
import { spawn } from "node:child_process";

export const WAIT_MS = 15_000;  // one page-side condition (an event reaching a table, a state change)
export const CHROMIUM = process.env.LIVEKV_CHROMIUM || "/usr/bin/chromium";
// Headless, no sandbox (containers), nothing in the background that could reach the network.
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                              "--disable-background-networking", "--disable-component-update", "--disable-sync"];

// The binary under test, from the command line (exits 2 with a usage line without one).
export function binaryArg(script) {
  const binary = process.argv[2];
  if (!binary) {
    console.error(`usage: node ${script} <livekv-binary>`);
    process.exit(2);
  }
  return binary;
}

export const tally = { passed: 0, failed: 0 };
// Runs one named step; a failure is counted and logged. With `stopOnFailure` (the default) it is
// rethrown too, for tests whose later steps build on the earlier ones.
export async function step(name, fn, { stopOnFailure = true } = {}) {
  const t0 = Date.now();
  try {
    await fn();
    tally.passed += 1;
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    tally.failed += 1;
    console.log(`FAIL ${name}: ${err.message}`);
    if (stopOnFailure) throw err;
  }
}
export function check(cond, message) {
  if (!cond) throw new Error(message);
}

// Every livekv started, so that no path out of a test leaves one running.
export const servers = new Set();

// Starts `binary` on an ephemeral port (unless `port`), in memory, with `extraArgs`; `ready`
// resolves with its base URL (http:// or https://) once it prints that it listens.
export function startLivekv(binary, extraArgs = [], port = 0) {
  const child = spawn(binary, ["--port", String(port), "--in-memory", ...extraArgs], { stdio: ["ignore", "pipe", "pipe"] });
  servers.add(child);
  child.on("exit", () => servers.delete(child));
  let stderr = "";
  child.stderr.on("data", (d) => { stderr = (stderr + d).slice(-8192); });
  const ready = new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`no "listening" line within ${WAIT_MS} ms\n${stderr}`)), WAIT_MS);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /livekv listening on (https?:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`livekv exited early (code ${code}, signal ${signal})\n${stderr}`));
    });
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  return { child, ready, stderr: () => stderr };
}

// SIGTERM (a graceful drain, which exits 0; ASan's leak check runs then too), SIGKILL after 15 s.
// Resolves with the exit status (a signal name if it was killed by one).
export async function stopLivekv(child) {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? child.signalCode;
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  const status = await exited;
  clearTimeout(timer);
  return status;
}

// Ends the whole run after `ms` with a failure, killing every livekv: a hang still reports.
export function runLimit(ms) {
  return setTimeout(() => {
    console.log(`FAIL the run took longer than ${ms} ms`);
    for (const child of servers) child.kill("SIGKILL");
    process.exit(1);
  }, ms);
}

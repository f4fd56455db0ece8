// A network the test makes for itself: a namespace joined to this machine by a veth pair, so
// that browsers reach the server over a real (non-loopback) interface, and the namespace's
// traffic can be blocked (iptables) or degraded (tc netem) without touching anything else.
//
// Addresses come from 10.0.0.0/8 and fd00::/8, picked at random per network; nothing is sent
// anywhere but between the two ends of the pair. `dispose()` removes what was created.

import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * Runs a command (as root) and returns its stdout; throws with stderr on failure.
 *
 * @param {string} cmd
 * @param {string[]} args
 * @returns {Promise<string>}
 */
export function run(cmd, args) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`\`${cmd} ${args.join(' ')}\` failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

export class Netns {
  /**
   * Creates the namespace and the veth pair, with IPv4 and IPv6 addresses on both ends.
   *
   * @param {string} label a short word for the names, e.g. 'net'
   * @returns {Promise<Netns>}
   */
  static async create(label) {
    if (process.getuid?.() !== 0) {
      throw new Error('the network tests create a network namespace and need root (run the test command as root)');
    }
    const id = randomInt(1, 0xfffe);
    const net = new Netns(label, id);
    try {
      await net.setUp();
    } catch (err) {
      await net.dispose();
      throw err;
    }
    return net;
  }

  /** @param {string} label @param {number} id */
  constructor(label, id) {
    const tag = `${label.slice(0, 4)}${id.toString(16)}`;
    this.name = `gb-${tag}`;
    this.hostIf = `gbh${tag}`.slice(0, 15);
    this.nsIf = `gbn${tag}`.slice(0, 15);
    const [a, b] = [(id >> 8) & 0xff, id & 0xff];
    /** the machine's end of the pair: where the server listens */
    this.hostIp = `10.${a}.${b}.1`;
    /** the namespace's end: where the browsers are */
    this.nsIp = `10.${a}.${b}.2`;
    this.hostIp6 = `fd00:6762:${id.toString(16)}::1`;
    this.nsIp6 = `fd00:6762:${id.toString(16)}::2`;
    /** @type {string | null} */
    this.wrapperDir = null;
  }

  async setUp() {
    await run('ip', ['netns', 'add', this.name]);
    await run('ip', ['link', 'add', this.hostIf, 'type', 'veth', 'peer', 'name', this.nsIf]);
    await run('ip', ['link', 'set', this.nsIf, 'netns', this.name]);
    await run('ip', ['addr', 'add', `${this.hostIp}/24`, 'dev', this.hostIf]);
    await run('ip', ['-6', 'addr', 'add', `${this.hostIp6}/64`, 'dev', this.hostIf, 'nodad']);
    // No duplicate address detection in the namespace, the link-local address included (the
    // kernel takes the larger of `all` and the interface's setting), nor on the machine's end
    // (the interface's setting only): an address that leaves its tentative state a second
    // after the link comes up is a network change to a browser already running, which aborts
    // its page loads (ERR_NETWORK_CHANGED). `settled()` waits for any left anyway.
    await fs.writeFile(`/proc/sys/net/ipv6/conf/${this.hostIf}/accept_dad`, '0');
    await run('ip', ['link', 'set', this.hostIf, 'up']);
    await this.exec('sh', ['-c', `echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad; echo 0 > /proc/sys/net/ipv6/conf/${this.nsIf}/accept_dad`]);
    await this.exec('ip', ['addr', 'add', `${this.nsIp}/24`, 'dev', this.nsIf]);
    await this.exec('ip', ['-6', 'addr', 'add', `${this.nsIp6}/64`, 'dev', this.nsIf, 'nodad']);
    await this.exec('ip', ['link', 'set', this.nsIf, 'up']);
    await this.exec('ip', ['link', 'set', 'lo', 'up']);
    await this.settled();
    await this.exec('ping', ['-c', '1', '-W', '5', this.hostIp]).catch(async () => {
      // ping may be missing; the server's health check through the pair is the real test.
    });
  }

  /**
   * Waits until both ends are up with no tentative address, so that nothing about the pair
   * changes once browsers run (at most 10 s; then says what is still settling).
   */
  async settled() {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const host = await run('ip', ['-o', 'addr', 'show', 'dev', this.hostIf]);
      const ns = await this.exec('ip', ['-o', 'addr', 'show', 'dev', this.nsIf]);
      const links = await Promise.all([
        run('cat', [`/sys/class/net/${this.hostIf}/operstate`]),
        this.exec('cat', [`/sys/class/net/${this.nsIf}/operstate`]),
      ]);
      const up = links.every((state) => state.trim() === 'up');
      const tentative = `${host}${ns}`.split('\n').filter((line) => /tentative/.test(line));
      // Each end's link-local address exists: the kernel adds it once the link is up.
      const linkLocal = [host, ns].every((out) => /inet6 fe80:\S+ scope link/.test(out));
      if (up && linkLocal && tentative.length === 0) return;
      if (Date.now() > deadline) {
        throw new Error(`the veth pair did not settle in 10 s: links ${links.map((s) => s.trim()).join('/')}, link-local addresses: ${linkLocal}, tentative: ${tentative.join('; ')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Runs a command inside the namespace.
   *
   * @param {string} cmd
   * @param {string[]} args
   */
  exec(cmd, args) {
    return run('ip', ['netns', 'exec', this.name, cmd, ...args]);
  }

  /**
   * A script that starts Chromium inside the namespace, for Playwright's `executablePath`.
   *
   * @param {string} chromium the real browser
   * @returns {Promise<string>}
   */
  async chromiumWrapper(chromium) {
    if (!this.wrapperDir) this.wrapperDir = await fs.mkdtemp(path.join(os.tmpdir(), 'giaoban-e2e-netns-'));
    const file = path.join(this.wrapperDir, 'chromium');
    await fs.writeFile(file, `#!/bin/sh\nexec ip netns exec ${this.name} ${chromium} "$@"\n`, { mode: 0o755 });
    return file;
  }

  /** Sets the link's state on the namespace's side ('up' or 'down'): an outage. */
  async link(state) {
    await this.exec('ip', ['link', 'set', this.nsIf, state]);
  }

  /**
   * Gives the namespace's end a new IPv4 address (a network change: the points' old ICE
   * candidates stop working).
   *
   * @param {string} ip an address in the pair's /24
   */
  async readdress(ip) {
    await this.exec('ip', ['addr', 'del', `${this.nsIp}/24`, 'dev', this.nsIf]);
    await this.exec('ip', ['addr', 'add', `${ip}/24`, 'dev', this.nsIf]);
    this.nsIp = ip;
  }

  /** Removes the namespace (and with it both ends of the pair) and the wrapper. */
  async dispose() {
    await run('ip', ['netns', 'del', this.name]).catch(() => {});
    await run('ip', ['link', 'del', this.hostIf]).catch(() => {});
    if (this.wrapperDir) await fs.rm(this.wrapperDir, { recursive: true, force: true });
  }
}

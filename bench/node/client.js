'use strict';
// The generator check: the same small scenarios as sockbench gen, run with the official
// socket.io-client (websocket transport), printing results in the generator's JSON
// format so that the runner can compare the two clients on the same server.
//
//   node client.js --url http://127.0.0.1:3000 --pid <server pid> --scenario idle --steps 1000,3000
//   node client.js ... --scenario ack --clients 20 --rate 2000 --seconds 3
//   node client.js ... --scenario bcast --room 200 --rate 4000 --seconds 3
//
// Latencies use process.hrtime in this process only, so no clock is shared with the server.

const fs = require('node:fs');
const http = require('node:http');
const { io } = require('socket.io-client');

function arg(name, def) {
  const i = process.argv.indexOf('--' + name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

const url = arg('url', 'http://127.0.0.1:3000');
const pid = Number(arg('pid', '0'));
const scenario = arg('scenario', 'ack');
const localAddress = arg('src', undefined);
const pad = 'x'.repeat(Number(arg('pad', '64')));
const inflight = Number(arg('inflight', '200'));

const nowNs = () => Number(process.hrtime.bigint());
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function serverCPU() {
  if (!pid) return null;
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) * 10e3, sys: Number(f[12]) * 10e3 }; // ticks of 10 ms, in µs
}

// The server's time on CPU in µs, all threads, to the nanosecond (schedstat).
function serverRun() {
  if (!pid) return null;
  let ns = 0;
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread has just exited
    }
  }
  return ns / 1e3;
}

function meter() {
  const start = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const srv0 = serverCPU();
  const run0 = serverRun();
  return (res, ops) => {
    const wallUs = Number(process.hrtime.bigint() - start) / 1e3;
    const cpu = process.cpuUsage(cpu0);
    res.gen_cpu = (cpu.user + cpu.system) / wallUs;
    res.gen_bound = res.gen_cpu > 0.9;
    res.values.wall_s = wallUs / 1e6;
    const srv1 = serverCPU();
    if (srv0 && srv1) {
      res.values.srv_cpu = (srv1.user - srv0.user + srv1.sys - srv0.sys) / wallUs;
      if (ops > 0) {
        res.values.srv_user_us_op = (srv1.user - srv0.user) / ops;
        res.values.srv_sys_us_op = (srv1.sys - srv0.sys) / ops;
        res.values.srv_cpu_us_op = (serverRun() - run0) / ops;
      }
    }
  };
}

function summarize(samples) {
  const a = Float64Array.from(samples).sort();
  const q = (p) => (a.length ? a[Math.max(0, Math.ceil(p * a.length) - 1)] : 0);
  const mean = a.length ? a.reduce((x, y) => x + y, 0) / a.length : 0;
  return { count: a.length, mean_ns: mean, p50_ns: q(0.5), p90_ns: q(0.9), p99_ns: q(0.99), p999_ns: q(0.999), max_ns: a.length ? a[a.length - 1] : 0 };
}

function connect(query) {
  return new Promise((resolve, reject) => {
    const s = io(url, { transports: ['websocket'], query, forceNew: true, reconnection: false, timeout: 30000, localAddress });
    s.once('connect', () => resolve(s));
    s.once('connect_error', (e) => { s.close(); reject(e); });
  });
}

async function openMany(n, query) {
  const out = [];
  let next = 0;
  async function worker() {
    while (next < n) {
      next++;
      out.push(await connect(query));
    }
  }
  await Promise.all(Array.from({ length: Math.min(inflight, n) }, worker));
  return out;
}

function serverMem() {
  return new Promise((resolve, reject) => {
    http.get(new URL('/__bench/mem', url), (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        const out = {};
        for (const [k, v] of Object.entries(JSON.parse(body))) out['srv_' + k] = v;
        if (pid) {
          const t = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
          out.rss = Number(/\nRss:\s+(\d+) kB/.exec(t)[1]) * 1024;
          out.anon = Number(/\nAnonymous:\s+(\d+) kB/.exec(t)[1]) * 1024;
        }
        resolve(out);
      });
    }).on('error', reject);
  });
}

function slope(xs, ys) {
  const n = xs.length;
  const sx = xs.reduce((a, b) => a + b, 0), sy = ys.reduce((a, b) => a + b, 0);
  const sxx = xs.reduce((a, x) => a + x * x, 0), sxy = xs.reduce((a, x, i) => a + x * ys[i], 0);
  const den = n * sxx - sx * sx;
  return den ? (n * sxy - sx * sy) / den : 0;
}

const emit = (r) => process.stdout.write(JSON.stringify(r) + '\n');

async function idle() {
  const steps = arg('steps', '1000,3000').split(',').map(Number);
  const settle = Number(arg('settle', '1000'));
  const socks = [];
  const xs = [], rss = [], heap = [];
  for (const n of steps) {
    const m = meter();
    const opened = await openMany(n - socks.length, {});
    socks.push(...opened);
    const res = { scenario: 'idle', step: `n=${n}`, values: {} };
    m(res, opened.length);
    await sleep(settle);
    Object.assign(res.values, await serverMem(), { sessions: socks.length });
    emit(res);
    xs.push(socks.length); rss.push(res.values.rss); heap.push(res.values.srv_heap);
  }
  emit({ scenario: 'idle', step: 'slope', values: { rss_per_conn: slope(xs, rss), heap_per_conn: slope(xs, heap), sessions: socks.length }, gen_cpu: 0 });
  socks.forEach((s) => s.close());
}

async function ack() {
  const clients = Number(arg('clients', '20'));
  const rate = Number(arg('rate', '2000'));
  const seconds = Number(arg('seconds', '3'));
  const socks = await openMany(clients, {});
  const samples = [];
  const count = Math.round(rate * seconds);
  let sent = 0, got = 0;
  const m = meter();
  const start = nowNs();
  const intervalNs = 1e9 / rate;
  await new Promise((resolve) => {
    const tick = () => {
      const due = Math.min(count, Math.floor((nowNs() - start) / intervalNs) + 1);
      for (; sent < due; sent++) {
        const t = nowNs();
        socks[sent % clients].emit('echo', { t, p: pad }, () => { samples.push(nowNs() - t); got++; });
      }
      if (sent < count) setTimeout(tick, 1); else resolve();
    };
    tick();
  });
  const sendEnd = nowNs();
  for (let waited = 0; got < count && waited < 10000; waited += 5) await sleep(5);
  const res = { scenario: 'ack', step: `fixed=${rate} c=${clients}`, values: { clients, rate, sent: count } };
  m(res, got);
  res.values.rtt_per_s = got / ((sendEnd - start) / 1e9);
  res.values.answered_pct = (100 * got) / count;
  res.latency = summarize(samples);
  emit(res);
  socks.forEach((s) => s.close());
}

async function bcast() {
  const room = Number(arg('room', '200'));
  const rate = Number(arg('rate', '4000'));
  const seconds = Number(arg('seconds', '3'));
  const name = 'r' + room;
  const samples = [];
  let received = 0, last = 0;
  const receivers = await openMany(room, { rooms: name });
  for (const s of receivers) s.on('m', (d) => { last = nowNs(); samples.push(last - d.t); received++; });
  const sender = await connect({});
  const perSec = rate / room;
  const count = Math.max(1, Math.round(perSec * seconds));
  const intervalNs = 1e9 / perSec;
  const m = meter();
  const start = nowNs();
  let sent = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const due = Math.min(count, Math.floor((nowNs() - start) / intervalNs) + 1);
      for (; sent < due; sent++) sender.emit('bcast', name, { t: start + sent * intervalNs, p: pad });
      if (sent < count) setTimeout(tick, 1); else resolve();
    };
    tick();
  });
  const expected = count * room;
  for (let waited = 0; received < expected && waited < 5000; waited += 5) await sleep(5);
  const span = ((received ? last : nowNs()) - start) / 1e9;
  const res = { scenario: 'bcast', step: `room=${room} rate=${rate}`, values: { room, rate, bcasts: count, expected, received } };
  m(res, received);
  res.values.delivered_pct = (100 * received) / expected;
  res.values.deliveries_per_s = received / span;
  res.latency = summarize(samples);
  emit(res);
  receivers.forEach((s) => s.close());
  sender.close();
}

({ idle, ack, bcast })[scenario]().then(() => process.exit(0), (e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});

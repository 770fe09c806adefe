// Engine websocket load for the proxy benchmark, with the `ws` client (offering
// permessage-deflate, as browsers do). Loopback only, bounded in sockets and time.
//
// usage: node engine_load.js <mode> <ws-url> <headers-json> <mode arguments...>
//   rounds <sockets> <seconds>   each socket sends a small request, waits for its answer,
//                                sends the next: {"roundTrips", "seconds", "p50us", "p99us"}
//   cube <app-id> <replies>      one socket: a ~300 KB hypercube page asked <replies> times:
//                                {"replies", "bytes"} (bytes of one reply, as decoded)
//   idle <sockets>               open the sockets and hold them: {"open"}
// Every mode opens its sockets (each waits for the engine's OnConnected), prints "ready",
// waits for a line "go" on stdin, runs, prints its JSON line, then waits for stdin to end
// before closing the sockets and exiting. Any error or unexpected answer exits 1.
"use strict";

const readline = require("node:readline");
const WebSocket = require("ws");

const [mode, url, headersJson, ...args] = process.argv.slice(2);
const headers = JSON.parse(headersJson);
const OPENING_AT_ONCE = 100;
const lines = readline.createInterface({ input: process.stdin });
const stdinLines = lines[Symbol.asyncIterator]();

function fail(message) {
  console.error(message);
  process.exit(1);
}

function open() {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers, perMessageDeflate: true, maxPayload: 64 << 20 });
    socket.once("message", (data) => {
      const greeting = JSON.parse(data);
      if (greeting.method !== "OnConnected") reject(new Error(`greeting ${data}`));
      else resolve(socket);
    });
    socket.once("error", reject);
    socket.once("unexpected-response", (_, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    socket.on("close", (code) => {
      if (!socket.closingOnPurpose) fail(`a socket closed with ${code}`);
    });
  });
}

async function openMany(count) {
  const sockets = [];
  while (sockets.length < count) {
    const batch = Math.min(OPENING_AT_ONCE, count - sockets.length);
    sockets.push(...(await Promise.all(Array.from({ length: batch }, open))));
  }
  return sockets;
}

function call(socket, method, handle, params) {
  return new Promise((resolve) => {
    const id = (socket.nextId = (socket.nextId || 0) + 1);
    socket.once("message", (data) => {
      const reply = JSON.parse(data);
      if (reply.id !== id || reply.error) fail(`answer to ${method}: ${String(data).slice(0, 300)}`);
      resolve([reply.result, data.length]);
    });
    socket.send(JSON.stringify({ jsonrpc: "2.0", id, method, handle, params }));
  });
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

async function rounds(sockets, seconds) {
  const latencies = [];
  const started = process.hrtime.bigint();
  const end = started + BigInt(Math.round(seconds * 1e9));
  await Promise.all(
    sockets.map(async (socket) => {
      while (process.hrtime.bigint() < end) {
        const before = process.hrtime.bigint();
        await call(socket, "EngineVersion", -1, {});
        latencies.push(Number(process.hrtime.bigint() - before) / 1000);
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  return {
    roundTrips: latencies.length,
    seconds: elapsed,
    p50us: percentile(latencies, 50),
    p99us: percentile(latencies, 99),
  };
}

const CUBE = {
  qInfo: { qType: "bench-cube" },
  qHyperCubeDef: {
    qDimensions: ["OrderID", "Region", "Country", "Customer", "ProductCategory", "Year", "Month"]
      .map((field) => ({ qDef: { qFieldDefs: [field] } })),
    qMeasures: ["Sum(Quantity)", "Sum(Sales)"].map((expression) => ({ qDef: { qDef: expression } })),
  },
};

async function cubeSetup(socket, appId) {
  const [doc] = await call(socket, "OpenDoc", -1, { qDocName: appId });
  const [object] = await call(socket, "CreateSessionObject", doc.qReturn.qHandle, { qProp: CUBE });
  return object.qReturn.qHandle;
}

async function cube(socket, handle, replies) {
  const page = { qPages: [{ qTop: 0, qLeft: 0, qWidth: 9, qHeight: 1000 }], qPath: "/qHyperCubeDef" };
  let bytes = 0;
  for (let i = 0; i < replies; i++) [, bytes] = await call(socket, "GetHyperCubeData", handle, page);
  return { replies, bytes };
}

async function main() {
  let sockets;
  let handle;
  if (mode === "rounds") sockets = await openMany(Number(args[0]));
  else if (mode === "idle") sockets = await openMany(Number(args[0]));
  else if (mode === "cube") {
    sockets = await openMany(1);
    handle = await cubeSetup(sockets[0], args[0]);
    await cube(sockets[0], handle, 2); // warm: the first page is computed, later ones cached
  } else fail(`unknown mode ${mode}`);
  console.log("ready");
  const go = await stdinLines.next();
  if (go.done || go.value.trim() !== "go") fail("no go");
  let result;
  if (mode === "rounds") result = await rounds(sockets, Number(args[1]));
  else if (mode === "cube") result = await cube(sockets[0], handle, Number(args[1]));
  else result = { open: sockets.length };
  console.log(JSON.stringify(result));
  while (!(await stdinLines.next()).done);
  const closed = sockets.map((socket) => {
    socket.closingOnPurpose = true;
    socket.close(1000);
    return new Promise((resolve) => socket.once("close", resolve));
  });
  await Promise.race([Promise.all(closed), new Promise((resolve) => setTimeout(resolve, 5000))]);
  process.exit(0);
}

main().catch((error) => fail(String(error && error.stack ? error.stack : error)));

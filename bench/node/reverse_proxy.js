// The Node peer of the proxy benchmark: a reverse proxy in the approach of Qlik's JWT proxy
// quickstart (Express + http-proxy-middleware with ws: true and a keep-alive agent). It adds
// one Qlik session's credentials (cookies and the CSRF token, read from a file) to every call
// and to the engine websocket's upgrade, and passes everything else through unchanged.
// Never served to browsers; loopback only.
//
// usage: node reverse_proxy.js <port> <tenant-url> <session.json: {"cookie", "csrfToken"}>
"use strict";

const fs = require("node:fs");
const http = require("node:http");
const express = require("express");
const { createProxyMiddleware } = require("http-proxy-middleware");

const [port, tenantUrl, sessionFile] = process.argv.slice(2);
const session = JSON.parse(fs.readFileSync(sessionFile, "utf8"));

function addCredentials(proxyReq) {
  proxyReq.setHeader("cookie", session.cookie);
  proxyReq.setHeader("qlik-csrf-token", session.csrfToken);
}

const proxy = createProxyMiddleware({
  target: tenantUrl,
  changeOrigin: true,
  ws: true,
  agent: new http.Agent({ keepAlive: true }),
  pathFilter: ["/api", "/app"],
  on: { proxyReq: addCredentials, proxyReqWs: addCredentials },
});

const app = express();
app.use(proxy);
const server = app.listen(Number(port), "127.0.0.1", () => console.log(`listening on ${port}`));
server.on("upgrade", proxy.upgrade); // before any HTTP call has subscribed it

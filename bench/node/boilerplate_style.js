// The token endpoint in the style of Qlik's Node boilerplate (qlik-oss/qlik-cloud-jwt), for the
// /token benchmark only: Express, one process, jsonwebtoken.sign given the PEM *string* on every
// call (so the key is parsed per token). Unlike the boilerplate it adds jti and nbf, so both
// endpoints mint tokens Qlik would accept. Never served to browsers; loopback only.
//
// usage: node boilerplate_style.js <port> <private-key.pem> <key-id> <issuer>
"use strict";

const crypto = require("node:crypto");
const fs = require("node:fs");
const express = require("express");
const jwt = require("jsonwebtoken");

const [port, keyPath, keyId, issuer] = process.argv.slice(2);
const privateKey = fs.readFileSync(keyPath, "utf8"); // read once, parsed on every sign()

const app = express();
app.get("/token", (req, res) => {
  const sub = "bench_user";
  const token = jwt.sign(
    { sub, subType: "user", name: sub, email: "bench@example.com", email_verified: true, groups: [] },
    privateKey,
    {
      keyid: keyId,
      algorithm: "RS256",
      issuer,
      expiresIn: "30s",
      notBefore: "0s",
      audience: "qlik.api/login/jwt-session",
      jwtid: crypto.randomUUID(),
    },
  );
  res.json({ token });
});

app.listen(Number(port), "127.0.0.1", () => console.log(`listening on ${port}`));

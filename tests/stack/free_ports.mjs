// Prints N distinct free TCP ports on 127.0.0.1, one per line.
//
// tests/stack/start needs ports for servers that cannot bind port 0 and report
// back (Dovecot, Postfix). Asking the kernel for ephemeral ports and releasing
// them at once is the usual compromise: another program could take one in the
// few milliseconds before our servers bind it, in which case start fails with
// the server's own "address in use" log line and a rerun picks new ports.
// All sockets are held open until every port is known, so the N are distinct.
// Node is used because the stack depends on it anyway (no python needed).

import net from 'node:net';

const count = Number(process.argv[2] || 1);
const servers = [];
for (let i = 0; i < count; i += 1) {
  const server = net.createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  servers.push(server);
}
console.log(servers.map((s) => s.address().port).join('\n'));
await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));

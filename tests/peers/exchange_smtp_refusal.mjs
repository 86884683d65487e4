// TEST-ONLY stand-in for an Exchange Online tenant with SMTP AUTH switched
// off: Exchange cannot run here, and no real server can be made to answer as
// it does. It speaks plain SMTP (no TLS: clients are run with --tls none
// --allow-plaintext-auth against it), offers AUTH LOGIN XOAUTH2 as
// smtp.office365.com does, answers the AUTH command (inline or two-step) with
// Exchange's own words for a tenant that disabled SMTP AUTH, and counts the
// sessions in its log. Usage: node exchange_smtp_refusal.mjs; prints
// "exchange refusal listening on PORT" once it listens on 127.0.0.1.
import { createServer } from 'node:net';

const refusal = '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled ' +
  'for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. ' +
  '[AM0PR01CA0001.eurprd01.prod.exchangelabs.com 2026-12-02T00:00:00.000Z 08DC0000000000]';

const server = createServer((socket) => {
  socket.setEncoding('latin1');
  let buffer = '';
  let awaitingResponse = false;
  socket.write('220 AM0PR01CA0001.outlook.office365.com Microsoft ESMTP MAIL Service ready\r\n');
  socket.on('data', (chunk) => {
    buffer += chunk;
    let end;
    while ((end = buffer.indexOf('\r\n')) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const verb = line.split(' ')[0].toUpperCase();
      if (awaitingResponse) {
        awaitingResponse = false;
        socket.write(refusal + '\r\n');
      } else if (verb === 'EHLO') {
        socket.write('250-AM0PR01CA0001.outlook.office365.com Hello\r\n250-SIZE 157286400\r\n' +
          '250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n' +
          '250-AUTH LOGIN XOAUTH2\r\n250 SMTPUTF8\r\n');
      } else if (verb === 'AUTH') {
        if (line.split(' ').length > 2) {
          socket.write(refusal + '\r\n');
        } else {
          awaitingResponse = true;
          socket.write('334 \r\n');
        }
      } else if (verb === 'QUIT') {
        socket.end('221 2.0.0 Service closing transmission channel\r\n');
      } else {
        socket.write('530 5.7.57 Client not authenticated to send mail\r\n');
      }
    }
  });
  socket.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => {
  console.log(`exchange refusal listening on ${server.address().port}`);
});

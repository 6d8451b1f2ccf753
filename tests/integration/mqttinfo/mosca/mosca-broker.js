// Starts a mosca broker on 127.0.0.1:PORT (argv[2]), in memory, for the
// mqttinfo tests. Prints "ready" once listening; stops on SIGTERM/SIGINT.
'use strict'
const mosca = require('mosca')

const port = Number(process.argv[2])
if (!port) {
  console.error('usage: node mosca-broker.js PORT')
  process.exit(2)
}
const server = new mosca.Server({
  port, host: '127.0.0.1', persistence: { factory: mosca.persistence.Memory }
})
server.on('ready', () => console.log('ready'))
function stop () {
  server.close(() => process.exit(0))
  setTimeout(() => process.exit(0), 500).unref()
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)

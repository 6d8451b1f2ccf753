// Starts an aedes broker on 127.0.0.1:PORT (argv[2]) for the mqttinfo tests.
// Optional argv[3] = WebSocket port (MQTT over ws://, path /mqtt).
// Prints "ready" once listening; stops on SIGTERM/SIGINT.
import net from 'node:net'
import http from 'node:http'
import { Aedes } from 'aedes'

const port = Number(process.argv[2])
const wsPort = process.argv[3] ? Number(process.argv[3]) : 0
if (!port) {
  console.error('usage: node aedes-broker.mjs PORT [WS_PORT]')
  process.exit(2)
}

const broker = await Aedes.createBroker()
const server = net.createServer(broker.handle)
server.listen(port, '127.0.0.1', () => console.log('ready'))

let httpServer = null
if (wsPort) {
  const { WebSocketServer, createWebSocketStream } = await import('ws')
  httpServer = http.createServer()
  const wss = new WebSocketServer({ server: httpServer, path: '/mqtt' })
  wss.on('connection', (socket, req) => broker.handle(createWebSocketStream(socket), req))
  httpServer.listen(wsPort, '127.0.0.1')
}

function stop () {
  server.close()
  if (httpServer) httpServer.close()
  broker.close(() => process.exit(0))
  setTimeout(() => process.exit(0), 500).unref()
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)

// MQTT.js (npm "mqtt"), an unmodified third-party MQTT 5.0 client, for the
// e4proxy integration test:
//   node mqttjs.mjs sub URL FILTER COUNT   print "message TOPIC PAYLOAD pfi=N"
//   node mqttjs.mjs pub-alias URL TOPIC MSG1 MSG2
//       MSG1 with the topic, a topic alias and payload format indicator
//       UTF-8; MSG2 with the alias only (empty topic); QoS 1 both.
import mqtt from 'mqtt';

const [mode, url, topic, ...rest] = process.argv.slice(2);
const client = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000 });
const fail = (what) => { console.error(`error ${what}`); process.exit(1); };
client.on('error', (e) => fail(e.message));
setTimeout(() => fail('timeout'), 15000).unref();

if (mode === 'sub') {
  const want = Number(rest[0]);
  let got = 0;
  client.on('connect', () => {
    client.subscribe(topic, { qos: 1 }, (err) => {
      if (err) fail(err.message);
      console.log('subscribed');
    });
  });
  client.on('message', (t, payload, packet) => {
    const pfi = packet.properties && packet.properties.payloadFormatIndicator ? 1 : 0;
    console.log(`message ${t} ${payload.toString()} pfi=${pfi}`);
    if (++got >= want) client.end(false, () => process.exit(0));
  });
} else if (mode === 'pub-alias') {
  client.on('connect', async () => {
    try {
      await client.publishAsync(topic, rest[0],
        { qos: 1, properties: { topicAlias: 1, payloadFormatIndicator: true } });
      await client.publishAsync('', rest[1], { qos: 1, properties: { topicAlias: 1 } });
      console.log('published');
      client.end(false, () => process.exit(0));
    } catch (e) {
      fail(e.message);
    }
  });
} else {
  fail(`unknown mode ${mode}`);
}

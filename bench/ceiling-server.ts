import Fastify from 'fastify';

// The serving ceiling on this machine: a fastify route answering a fixed JSON body from memory,
// in a process of its own as `lk serve` is. Prints its URL, then serves until killed.
const body = { view: 'product_activity', windows: Array.from({ length: 60 }, (_, i) => ({ key: 'p1', start: i, value: { views: i } })) };
const app = Fastify();
app.get('/ceiling', async () => body);
const url = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`ceiling: listening on ${url}`);

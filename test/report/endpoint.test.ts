import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EndpointNamer, isIdSegment, pathOf, templatePath } from '../../src/report/endpoint.js';

test('templatePath infers identifier segments by shape', () => {
  const table: [string, string][] = [
    ['/users/17', '/users/:id'],
    ['/users/42', '/users/:id'],
    ['/orders/-3.5', '/orders/:id'],
    ['/users/3f2b8c1e-9a4d-4c6b-8e2f-1a2b3c4d5e6f/orders', '/users/:id/orders'],
    ['/users/3F2B8C1E-9A4D-4C6B-8E2F-1A2B3C4D5E6F', '/users/:id'],
    ['/commits/9f86d081884c7d659a2feaa0c55ad015', '/commits/:id'],
    ['/blobs/0x9f86d081884c7d65', '/blobs/:id'],
    ['/sessions/aB3dE5fG7hJ9kL1mN2', '/sessions/:id'],
    ['/tokens/eyJhbGciOiJIUzI1NiJ9-x_y', '/tokens/:id'],
    ['/reports/2024-01-31', '/reports/:id'],
    ['/reports/2024-01-31T10:20:30Z', '/reports/:id'],
    ['/people/ada@example.com', '/people/:id'],
    ['/people/ada%40example.com', '/people/:id'],
    ['/users/me', '/users/me'],
    ['/api/v2/users', '/api/v2/users'],
    ['/static/bootstrap-5.3.2.min.js', '/static/bootstrap-5.3.2.min.js'],
    ['/articles/how-to-write-good-tests', '/articles/how-to-write-good-tests'],
    ['/abcdefabcdefabc', '/abcdefabcdefabc'],
    ['/' + 'a'.repeat(65), '/:id'],
    ['/users/17?expand=orders&x=1', '/users/:id'],
    ['/search?q=17', '/search'],
    ['/users/17#top', '/users/:id'],
    ['http://api.local:8080/users/17/?a=1', '/users/:id'],
    ['/users//17/', '/users/:id'],
    ['/', '/'],
    ['', '/'],
    ['?x=1', '/'],
  ];
  for (const [url, expected] of table) assert.equal(templatePath(url), expected, url);
});

test('isIdSegment and pathOf edge cases', () => {
  assert.equal(isIdSegment(''), false);
  assert.equal(isIdSegment('%E0%A4%A'), false, 'malformed percent-encoding is taken literally');
  assert.equal(isIdSegment('abcdefghijklmnop'), false, 'letters only: a word, not a token');
  assert.equal(isIdSegment('1234567890123456a'), true);
  assert.equal(pathOf('https://h/a?b'), '/a');
});

test('EndpointNamer names METHOD /template and uses fixed names as they are', () => {
  const namer = new EndpointNamer();
  assert.equal(namer.name('get', '/users/17'), 'GET /users/:id');
  assert.equal(namer.name('GET', '/users/42?x=1'), 'GET /users/:id');
  assert.equal(namer.name('GET', '/users/me'), 'GET /users/me');
  assert.equal(namer.name('POST', '/users'), 'POST /users');
  assert.equal(namer.name('GET', '/anything/17', 'user lookup'), 'user lookup');
  assert.equal(namer.size, 3);
});

test('EndpointNamer learns a high-cardinality position and turns it into :id', () => {
  const namer = new EndpointNamer({ cardinalityThreshold: 50 });
  const slugs = Array.from({ length: 60 }, (_, i) => `product-${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`);
  const names = slugs.map((s) => namer.name('GET', `/products/${s}/reviews`));
  for (let i = 0; i < 50; i++) assert.equal(names[i], `GET /products/${slugs[i]}/reviews`);
  for (let i = 50; i < 60; i++) assert.equal(names[i], 'GET /products/:id/reviews');
  // Later requests, including values seen before, use the template.
  assert.equal(namer.name('GET', `/products/${slugs[0]}/reviews`), 'GET /products/:id/reviews');
  // Repeated values do not raise the cardinality; other methods and positions learn separately.
  const other = new EndpointNamer({ cardinalityThreshold: 3 });
  for (let i = 0; i < 10; i++) assert.equal(other.name('GET', '/users/me'), 'GET /users/me');
  for (const s of ['a', 'b', 'c']) other.name('GET', `/tags/${s}`);
  assert.equal(other.name('GET', '/tags/d'), 'GET /tags/:id');
  assert.equal(other.name('DELETE', '/tags/d'), 'DELETE /tags/d');
  assert.equal(other.name('GET', '/users/me'), 'GET /users/me');
});

test('EndpointNamer learns below a learned position', () => {
  const namer = new EndpointNamer({ cardinalityThreshold: 2 });
  for (const s of ['a', 'b', 'c']) namer.name('GET', `/shop/${s}/x`);
  assert.equal(namer.template('GET', '/shop/zz/x'), '/shop/:id/x');
  for (const s of ['p', 'q', 'r']) namer.template('GET', `/shop/zz/${s}`);
  assert.equal(namer.template('GET', '/shop/yy/s'), '/shop/:id/:id');
});

test('EndpointNamer stops tracking new positions past maxTrackedPositions', () => {
  const namer = new EndpointNamer({ cardinalityThreshold: 1, maxTrackedPositions: 1 });
  namer.template('GET', '/a'); // tracks position "GET /"
  namer.template('GET', '/a/x'); // position "GET /a/" not tracked
  namer.template('GET', '/a/y');
  assert.equal(namer.template('GET', '/a/z'), '/a/z');
  assert.equal(namer.template('GET', '/b'), '/:id');
});

test('EndpointNamer folds new endpoints into METHOD /*other* past the cap', () => {
  const namer = new EndpointNamer({ maxEndpoints: 3 });
  assert.equal(namer.name('GET', '/a'), 'GET /a');
  assert.equal(namer.name('GET', '/b'), 'GET /b');
  assert.equal(namer.name('GET', '/c/1'), 'GET /c/:id');
  assert.equal(namer.name('GET', '/d'), 'GET /*other*');
  assert.equal(namer.name('POST', '/e'), 'POST /*other*');
  assert.equal(namer.name('GET', '/c/2'), 'GET /c/:id', 'known endpoints keep their names');
  assert.equal(namer.name('GET', '/x', 'fixed'), 'fixed');
  assert.equal(namer.size, 3);
  namer.reset();
  assert.equal(namer.name('GET', '/d'), 'GET /d');
});

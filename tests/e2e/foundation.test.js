// The foundation: Debian's Janus loads both freshly built modules, reports
// them through the Admin API, and survives broken module configs.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { useJanus } from './lib/janus.js';

describe('Janus with the oicall modules', () => {
  const ctx = useJanus();

  test('Admin API info lists janus.plugin.oicall and janus.transport.socketio', async () => {
    const info = await ctx.janus.admin({ janus: 'info' });
    assert.equal(info.janus, 'server_info');
    const plugin = info.plugins['janus.plugin.oicall'];
    assert.ok(plugin, 'plugin loaded');
    assert.equal(plugin.version_string, '0.1.0');
    assert.equal(plugin.version, 1);
    assert.match(plugin.description, /1:1 audio\/video calls/);
    const transport = info.transports['janus.transport.socketio'];
    assert.ok(transport, 'transport loaded');
    assert.equal(transport.version_string, '0.1.0');
    assert.match(transport.description, /Socket\.IO v4/);
    assert.ok(info.transports['janus.transport.http'], 'HTTP transport loaded for the Admin API');
    assert.deepEqual(Object.keys(info.plugins), ['janus.plugin.oicall'], 'only our plugin');
  });

  test('the plugin reads its configuration', () => {
    assert.match(ctx.janus.log(), /oicall initialized \(ring timeout 60 s, reconnect grace 15 s, media timeout 20 s\)/);
  });

  ctx.cleanExitTest();
});

describe('bad module configuration', () => {
  const ctx = useJanus({
      debugLevel: 7, // janus_config_print would show values at this level
      plugin: {
        general: { ring_timeout: 'soon', reconnect_grace: 30, video_codecs: 'av1', surprise: 1 },
        mystery: { x: 1 },
      },
      transport: { engineio: { ping_interval: -5, max_payload: 'huge' }, tls: { cert_pwd: 'hunter2-secret' }, auth: { secret: 'hunter2' } },
  });

  test('invalid values are logged and replaced by defaults, valid ones kept', () => {
    const log = ctx.janus.log();
    assert.match(log, /janus\.plugin\.oicall: invalid general\.ring_timeout, using the default/);
    assert.match(log, /janus\.plugin\.oicall: invalid general\.video_codecs/);
    assert.match(log, /janus\.plugin\.oicall: unknown option general\.surprise ignored/);
    assert.match(log, /janus\.plugin\.oicall: unknown section mystery ignored/);
    assert.match(log, /janus\.transport\.socketio: invalid engineio\.ping_interval/);
    assert.match(log, /janus\.transport\.socketio: invalid engineio\.max_payload/);
    assert.match(log, /janus\.transport\.socketio: invalid auth\.secret, using the default\n/);
    assert.match(log, /oicall initialized \(ring timeout 60 s, reconnect grace 30 s, media timeout 20 s\)/);
  });

  test('secrets never reach the log', () => {
    assert.doesNotMatch(ctx.janus.log(), /hunter2/);
  });

  test('the modules still load', async () => {
    const info = await ctx.janus.admin({ janus: 'info' });
    assert.ok(info.plugins['janus.plugin.oicall']);
    assert.ok(info.transports['janus.transport.socketio']);
  });

  ctx.cleanExitTest();
});

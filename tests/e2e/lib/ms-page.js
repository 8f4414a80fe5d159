// Browser side of the mediasoup-client tests: OIChat's own flow with the real
// mediasoup-client and socket.io-client, bundled by esbuild (see mediasoup.js).
// The only oicall-specific line is the Device's handlerFactory.
import { io } from 'socket.io-client';
import { Device } from 'mediasoup-client';
import { Chrome111 } from 'mediasoup-client/handlers/Chrome111';
import { oicallHandlerFactory } from '../../../html/oicall-mediasoup.js';

const EVENTS = ['incoming-call', 'call-accepted', 'new-producer', 'call-ended', 'call-expired', 'remote-user-muted',
  'remote-user-unmuted', 'remote-user-video-muted', 'remote-user-video-unmuted', 'participant-joined', 'participant-left',
  'participant-invited', 'participant-no-answer', 'producer-closed', 'call-reaction', 'call-resumed'];

class Client extends EventTarget {
  constructor() {
    super();
    this.events = [];
    this.requests = [];     // every request with its ack, for tests and fixtures
    this.socket = null;
    this.autoResume = true;  // false: consumers wait for resumePaused()
    this.keyframeRequests = true;  // false: consumers get no PLI/FIR feedback
    this.iceTransportPolicy = 'all';  // 'relay': the transports use TURN only
    this.video = true;      // the camera's getUserMedia constraints (the benchmarks set the demo page's)
    this.resetCall();
  }

  resetCall() {
    this.callId = null;
    this.incoming = null;
    this.device = null;
    this.sendTransport = null;
    this.recvTransport = null;
    this.producers = {};    // kind -> Producer
    this.consumers = [];
    this.consumerAcks = []; // create-consumer acks, as the server sent them
    this.paused = [];       // consumer ids not resumed yet
    this.connectAcks = [];  // what the server said to each connect-transport
    this.errors = [];
    this.stream = null;
    this.queued = [];       // room dialect: new-producer before the recv transport exists
    this.consuming = new Set();
    this.producerInfo = {};  // producerId -> { userId, source, kind }, from new-producer and get-producers
    this.screen = null;     // the screen-share producer, if sharing
  }

  async request(event, payload) {
    const ack = await this.socket.timeout(10000).emitWithAck(event, payload);
    this.requests.push({ event, payload, ack });
    return ack;
  }

  connect(userId) {
    this.userId = userId;
    this.socket = io(window.location.origin, { path: '/calls', transports: ['websocket'] });
    for (const name of EVENTS) this.socket.on(name, (payload) => this.onEvent(name, payload));
    // Registers again after every reconnection, as OIChat's app does.
    this.socket.on('connect', async () => {
      const ack = await this.request('register', userId);
      this.registerAck = ack;
      this.dispatchEvent(new CustomEvent('registered', { detail: ack }));
    });
    return new Promise((resolve) => this.addEventListener('registered', (e) => resolve(e.detail), { once: true }));
  }

  onEvent(name, payload) {
    this.events.push({ name, payload });
    if (name === 'incoming-call') this.incoming = payload;
    // Both sides, as OIChat does: consume what the other side produces.
    if (name === 'new-producer') this.producerInfo[payload.producerId] = payload;
    // A producer gone (its peer left, or stopped sharing): its consumer goes, as in OIChat's app.
    if (name === 'producer-closed' && payload.callId === this.callId) {
      for (const c of this.consumers.filter((x) => x.producerId === payload.producerId)) c.close();
      this.consumers = this.consumers.filter((x) => x.producerId !== payload.producerId);
    }
    if (name === 'new-producer' && payload.callId === this.callId) {
      if (this.recvTransport) this.consumeOnce(payload.producerId).catch((e) => this.errors.push(`consume: ${e.message}`));
      else this.queued.push(payload.producerId);
    }
    if (name === 'call-ended' && payload.callId === this.callId) this.closeTransports();
    this.dispatchEvent(new CustomEvent(name, { detail: payload }));
  }

  async setup(callId, params) {
    this.callId = callId;
    this.params = params;
    this.device = new Device({ handlerFactory: oicallHandlerFactory(Chrome111.createFactory({})) });
    await this.device.load({ routerRtpCapabilities: params.rtpCapabilities });
    this.makeTransports(callId, params);
  }

  makeTransports(callId, params) {
    // The TURN servers of the call's ack or incoming-call (join-call's in the room dialect), as an app passes them.
    const iceServers = params.iceServers ?? this.joinAck?.iceServers ?? this.registerAck?.iceServers ?? [];
    const ice = { iceServers, iceTransportPolicy: this.iceTransportPolicy };
    this.sendTransport = this.device.createSendTransport({ ...params.sendTransport, ...ice });
    this.recvTransport = this.device.createRecvTransport({ ...params.recvTransport, ...ice });
    for (const transport of [this.sendTransport, this.recvTransport]) {
      transport.on('connect', ({ dtlsParameters }, callback, errback) => {
        this.request('connect-transport', { callId, transportId: transport.id, dtlsParameters }).then((ack) => {
          this.connectAcks.push(ack);
          if (ack.error) errback(new Error(ack.error)); else callback();
        }, errback);
      });
    }
    this.sendTransport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      this.request('create-producer', { callId, transportId: this.sendTransport.id, kind, rtpParameters, appData }).then((ack) => {
        if (ack.error) errback(new Error(ack.error)); else callback({ id: ack.producerId });
      }, errback);
    });
  }

  async produce(callType) {
    this.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: callType === 'video' && this.video });
    for (const track of this.stream.getTracks()) {
      this.producers[track.kind] = await this.sendTransport.produce({ track });
    }
  }

  async call(toUserId, callType = 'video') {
    const ack = await this.request('start-call', { toUserId, callType });
    if (ack.error) return ack;
    await this.setup(ack.callId, ack);
    await this.produce(callType);
    return { callId: ack.callId };
  }

  async accept() {
    const incoming = this.incoming;
    await this.setup(incoming.callId, incoming);
    const ack = await this.request('accept-call', { callId: incoming.callId, fromUserId: incoming.fromUserId });
    if (ack.error) return ack;
    await this.produce(incoming.callType);
    return ack;
  }

  // The room dialect, as OIChat's current app (rtc.js) places every call:
  // start-call { toUserIds }, then join-call, create-transport recv and send,
  // produce, get-producers and consume what is there.
  async roomCall(toUserIds, callType = 'video') {
    const ack = await this.request('start-call', { toUserIds, callType });
    if (ack.error) return ack;
    this.startAck = ack;
    const joined = await this.roomJoin(ack.callId, ack.rtpCapabilities, callType);
    return joined.error ? joined : { callId: ack.callId };
  }

  async roomAccept() {
    const incoming = this.incoming;
    this.callId = incoming.callId;
    const ack = await this.request('accept-call', { callId: incoming.callId, fromUserId: incoming.fromUserId });
    if (ack.error) return ack;
    const joined = await this.roomJoin(incoming.callId, ack.rtpCapabilities, incoming.callType);
    return joined.error ? joined : ack;
  }

  async roomJoin(callId, rtpCapabilities, callType) {
    this.callId = callId;
    this.device = new Device({ handlerFactory: oicallHandlerFactory(Chrome111.createFactory({})) });
    await this.device.load({ routerRtpCapabilities: rtpCapabilities });
    this.joinAck = await this.request('join-call', { callId });
    if (this.joinAck.error) return this.joinAck;
    const recv = await this.request('create-transport', { callId, direction: 'recv' });
    if (recv.error) return recv;
    const send = await this.request('create-transport', { callId, direction: 'send' });
    if (send.error) return send;
    this.makeTransports(callId, { sendTransport: send.transportOptions, recvTransport: recv.transportOptions });
    for (const id of this.queued.splice(0)) this.consumeOnce(id).catch((e) => this.errors.push(`consume: ${e.message}`));
    await this.produce(callType);
    const existing = await this.request('get-producers', { callId });
    if (existing.error) return existing;
    for (const p of existing.producers) this.producerInfo[p.producerId] = p;
    for (const p of existing.producers) await this.consumeOnce(p.producerId);
    return this.joinAck;
  }

  // A call this socket inherited (call-resumed) gets its media here:
  // resume-call (new transports on this socket), then as after accept-call.
  async roomResume(callId, callType = 'video') {
    const ack = await this.request('resume-call', { callId });
    if (ack.error) return ack;
    const joined = await this.roomJoin(callId, ack.rtpCapabilities, callType);
    return joined.error ? joined : ack;
  }

  // The same in the seed's dialect: resume-call's ack has the new transports;
  // what the others send comes as new-producer (consumed once the recv transport exists).
  async seedResume(callId, callType = 'video') {
    const ack = await this.request('resume-call', { callId });
    if (ack.error) return ack;
    await this.setup(callId, ack);
    for (const id of this.queued.splice(0)) this.consumeOnce(id).catch((e) => this.errors.push(`consume: ${e.message}`));
    await this.produce(callType);
    return ack;
  }

  // leave-call without an ack, as the app sends it.
  leave() {
    this.socket.emit('leave-call', { callId: this.callId });
    this.closeTransports();
  }

  // The app's idempotency: a producer heard of twice (new-producer and get-producers) is consumed once.
  async consumeOnce(producerId) {
    if (this.consuming.has(producerId)) return;
    this.consuming.add(producerId);
    await this.consume(producerId);
  }

  async consume(producerId) {
    const ack = await this.request('create-consumer', {
      callId: this.callId, producerId, rtpCapabilities: this.device.rtpCapabilities, transportId: this.recvTransport.id,
    });
    if (ack.error) throw new Error(ack.error);
    const rtpParameters = structuredClone(ack.rtpParameters);
    if (!this.keyframeRequests) {
      for (const codec of rtpParameters.codecs) {
        codec.rtcpFeedback = (codec.rtcpFeedback || []).filter((f) => f.type !== 'ccm' && !(f.type === 'nack' && f.parameter === 'pli'));
      }
    }
    const consumer = await this.recvTransport.consume({ id: ack.id, producerId: ack.producerId, kind: ack.kind, rtpParameters });
    this.consumers.push(consumer);
    this.consumerAcks.push(ack);
    if (this.autoResume) await this.resume(ack.id); else this.paused.push(ack.id);
    return ack;
  }

  async resume(consumerId) {
    const resumed = await this.request('resume-consumer', { callId: this.callId, consumerId });
    if (resumed.error) throw new Error(resumed.error);
  }

  async resumePaused() {
    for (const id of this.paused.splice(0)) await this.resume(id);
  }

  async mute(kind, muted) {
    const producer = this.producers[kind];
    return this.request(kind === 'audio' ? 'mute-audio' : 'mute-video', { callId: this.callId, producerId: producer.id, muted });
  }

  // A screen share as the app sends one (appData.source "screen"); a canvas
  // stands in for the screen, which headless Chromium can't capture.
  async shareScreen() {
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 240;
    const g = canvas.getContext('2d');
    let n = 0;
    this.screenTimer = setInterval(() => { g.fillStyle = `hsl(${(n += 7) % 360} 80% 50%)`; g.fillRect(0, 0, 320, 240); }, 66);
    const track = canvas.captureStream(15).getVideoTracks()[0];
    try {
      this.screen = await this.sendTransport.produce({ track, appData: { source: 'screen' } });
      return { producerId: this.screen.id };
    } catch (e) {
      clearInterval(this.screenTimer);
      track.stop();
      return { error: e.message };
    }
  }

  async stopScreen() {
    const ack = await this.request('close-producer', { callId: this.callId, producerId: this.screen.id });
    this.screen.close();
    clearInterval(this.screenTimer);
    this.screen = null;
    return ack;
  }

  // Inbound media per remote user (and per source: "user" or "user/screen"), from each consumer's own stats.
  async inboundByUser() {
    const out = {};
    for (const consumer of this.consumers.filter((c) => !c.closed)) {
      const info = this.producerInfo[consumer.producerId] ?? { userId: '?' };
      const key = info.source === 'screen' ? `${info.userId}/screen` : info.userId;
      const entry = out[key] ??= { framesDecoded: 0, videoPackets: 0, audioPackets: 0 };
      (await consumer.getStats()).forEach((s) => {
        if (s.type !== 'inbound-rtp') return;
        if (s.kind === 'video') { entry.framesDecoded += s.framesDecoded || 0; entry.videoPackets += s.packetsReceived || 0; }
        if (s.kind === 'audio') entry.audioPackets += s.packetsReceived || 0;
      });
    }
    return out;
  }

  async hangup() {
    const ack = await this.request('end-call', { callId: this.callId });
    this.closeTransports();
    return ack;
  }

  closeTransports() {
    this.sendTransport?.close();
    this.recvTransport?.close();
    this.stream?.getTracks().forEach((t) => t.stop());
  }

  // The recv transport's inbound-rtp and codec stats, for failure reports.
  async inboundDetails() {
    const out = [];
    (await this.recvTransport.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' || s.type === 'codec') out.push(s); });
    return out;
  }

  // kind -> { ssrc, payloadType } of what arrives over the recv transport.
  async inboundStreams() {
    const stats = await this.recvTransport.getStats();
    const out = {};
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp') {
        out[s.kind] = { ssrc: s.ssrc, payloadType: stats.get(s.codecId)?.payloadType, keyframeRequests: (s.pliCount || 0) + (s.firCount || 0) };
      }
    });
    return out;
  }

  // Inbound media over the recv transport.
  async inbound() {
    const out = { framesDecoded: 0, videoBytes: 0, audioPackets: 0, audioBytes: 0 };
    if (!this.recvTransport || this.recvTransport.closed) return out;
    const stats = await this.recvTransport.getStats();
    stats.forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      if (s.kind === 'video') { out.framesDecoded += s.framesDecoded || 0; out.videoBytes += s.bytesReceived || 0; }
      if (s.kind === 'audio') { out.audioPackets += s.packetsReceived || 0; out.audioBytes += s.bytesReceived || 0; }
    });
    return out;
  }
}

window.msc = new Client();

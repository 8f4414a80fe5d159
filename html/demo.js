// oicall demo: 1:1 calls with socket.io-client and a plain RTCPeerConnection
// (the JSEP variant of the protocol). The page's buttons use it, and so do
// the end-to-end tests, through window.demo.
/* global io */

const log = (...args) => {
  const line = `${new Date().toISOString().slice(11, 23)} ${args.join(' ')}`;
  console.log(line);
  const el = document.getElementById('log');
  if (el) el.textContent = `${line}\n${el.textContent}`.slice(0, 20000);
};

// Wait until ICE gathering is complete, so that the SDP carries the candidates.
function gathered(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (pc.iceGatheringState === 'complete') {
        pc.removeEventListener('icegatheringstatechange', check);
        resolve();
      }
    };
    pc.addEventListener('icegatheringstatechange', check);
    setTimeout(resolve, 3000);
  });
}

class Demo extends EventTarget {
  constructor() {
    super();
    this.socket = null;
    this.userId = null;
    this.pc = null;
    this.callId = null;
    this.incoming = null;
    this.localStream = null;
    this.events = [];   // every server event, for tests and the log
  }

  // Connects (if needed) and registers; registers again after every reconnection.
  connect(userId, url = window.location.origin, options = {}) {
    this.userId = userId;
    if (this.socket) this.socket.close();
    this.socket = io(url, { path: '/calls', transports: ['polling', 'websocket'], ...options });
    this.socket.on('connect', async () => {
      const ack = await this.socket.emitWithAck('register', this.userId);
      log('registered as', this.userId, JSON.stringify(ack));
      this.dispatchEvent(new CustomEvent('registered', { detail: ack }));
    });
    this.socket.on('disconnect', (reason) => log('socket disconnected:', reason));
    for (const name of ['incoming-call', 'call-accepted', 'call-ended', 'call-expired', 'remote-user-muted',
      'remote-user-unmuted', 'remote-user-video-muted', 'remote-user-video-unmuted', 'ice-candidate']) {
      this.socket.on(name, (payload) => this.onEvent(name, payload));
    }
    return new Promise((resolve) => this.addEventListener('registered', (e) => resolve(e.detail), { once: true }));
  }

  async onEvent(name, payload) {
    this.events.push({ name, payload, at: Date.now() });
    log('event', name, JSON.stringify({ ...payload, jsep: payload.jsep ? `(${payload.jsep.type})` : undefined }));
    if (name === 'incoming-call') {
      this.incoming = payload;
    } else if (name === 'call-accepted' && payload.jsep && this.pc) {
      await this.pc.setRemoteDescription(payload.jsep);
    } else if ((name === 'call-ended' || name === 'call-expired') && payload.callId === (this.callId ?? this.incoming?.callId)) {
      this.closeMedia();
    } else if (name === 'ice-candidate' && this.pc && payload.candidate) {
      await this.pc.addIceCandidate(payload.candidate).catch(() => {});
    }
    this.dispatchEvent(new CustomEvent(name, { detail: payload }));
    this.dispatchEvent(new CustomEvent('change'));
  }

  async media(callType) {
    this.localStream = await navigator.mediaDevices.getUserMedia({
      audio: true, video: callType === 'video' ? { width: 320, height: 240, frameRate: 15 } : false });
    const local = document.getElementById('local');
    if (local) local.srcObject = this.localStream;
    return this.localStream;
  }

  newPeerConnection() {
    const pc = new RTCPeerConnection();
    pc.addEventListener('track', (e) => {
      const remote = document.getElementById('remote');
      if (remote && e.streams[0]) remote.srcObject = e.streams[0];
    });
    pc.addEventListener('connectionstatechange', () => log('peer connection', pc.connectionState));
    return pc;
  }

  async call(toUserId, callType = 'video') {
    const stream = await this.media(callType);
    this.pc = this.newPeerConnection();
    for (const track of stream.getTracks()) this.pc.addTrack(track, stream);
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await gathered(this.pc);
    const ack = await this.socket.emitWithAck('start-call', { toUserId, callType, jsep: this.pc.localDescription });
    log('start-call', JSON.stringify(ack));
    if (ack.error) this.closeMedia();
    else this.callId = ack.callId;
    this.dispatchEvent(new CustomEvent('change'));
    return ack;
  }

  async accept() {
    const call = this.incoming;
    if (!call) throw new Error('no incoming call');
    const stream = await this.media(call.callType);
    this.pc = this.newPeerConnection();
    for (const track of stream.getTracks()) this.pc.addTrack(track, stream);
    await this.pc.setRemoteDescription(call.jsep);
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    await gathered(this.pc);
    const ack = await this.socket.emitWithAck('accept-call', { callId: call.callId, fromUserId: call.fromUserId,
      jsep: this.pc.localDescription });
    log('accept-call', JSON.stringify(ack));
    if (!ack.error) this.callId = call.callId;
    this.dispatchEvent(new CustomEvent('change'));
    return ack;
  }

  async hangup() {
    const callId = this.callId ?? this.incoming?.callId;
    if (!callId) return { error: 'no call' };
    const ack = await this.socket.emitWithAck('end-call', { callId });
    this.closeMedia();
    return ack;
  }

  mute(kind, muted) {
    return this.socket.emitWithAck(kind === 'video' ? 'mute-video' : 'mute-audio', { callId: this.callId, muted });
  }

  closeMedia() {
    this.pc?.close();
    this.pc = null;
    this.localStream?.getTracks().forEach((t) => t.stop());
    this.localStream = null;
    this.callId = null;
    this.incoming = null;
    this.dispatchEvent(new CustomEvent('change'));
  }

  // Inbound totals of the current PeerConnection, by kind.
  async inbound() {
    const out = { framesDecoded: 0, videoBytes: 0, audioPackets: 0, audioBytes: 0 };
    if (!this.pc) return out;
    (await this.pc.getStats()).forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      if (s.kind === 'video') { out.framesDecoded += s.framesDecoded || 0; out.videoBytes += s.bytesReceived || 0; }
      if (s.kind === 'audio') { out.audioPackets += s.packetsReceived || 0; out.audioBytes += s.bytesReceived || 0; }
    });
    return out;
  }
}

window.demo = new Demo();
export default window.demo;

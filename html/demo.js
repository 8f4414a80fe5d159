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
    // true: offers and answers go out at once, without candidates, and every
    // candidate follows as its own ice-candidate (trickle ICE).
    this.trickle = false;
    this.sentDescriptions = [];  // every offer and answer sent, for tests
    this.sentCandidates = [];    // every ice-candidate sent: { callId, candidate, ack }
    this.addedCandidates = [];   // the gateway's, as handed to the PeerConnection: { candidate, error }
    this.unsentCandidates = [];  // ours, gathered before this.callId is set
    this.remoteCandidates = [];  // the gateway's, that came before its description
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
      await this.setRemote(payload.jsep);
    } else if ((name === 'call-ended' || name === 'call-expired') && payload.callId === (this.callId ?? this.incoming?.callId)) {
      this.closeMedia();
    } else if (name === 'ice-candidate' && !payload.transportId && payload.callId === (this.callId ?? this.incoming?.callId)) {
      // (With a transportId they are for the mediasoup-style transports that
      // incoming-call offers too, not for this PeerConnection.) A callee hears
      // the gateway's candidates while it rings, a caller before call-accepted:
      // they wait for the description they belong to.
      if (this.pc?.remoteDescription) await this.addCandidate(payload.candidate);
      else this.remoteCandidates.push(payload.candidate);
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

  // null is the end of the gateway's candidates.
  async addCandidate(candidate) {
    const added = { candidate, error: null };
    this.addedCandidates.push(added);
    await this.pc.addIceCandidate(candidate ?? undefined).catch((e) => {
      added.error = e.message;
      log('addIceCandidate', JSON.stringify(candidate), e.message);
    });
  }

  async setRemote(jsep) {
    await this.pc.setRemoteDescription(jsep);
    // All at once: the PeerConnection's operations chain keeps them in order,
    // ahead of any that arrive meanwhile.
    await Promise.all(this.remoteCandidates.splice(0).map((c) => this.addCandidate(c)));
  }

  // Sets the local description and returns what to send: with trickle the
  // description as created, which has no candidates, else the one gathering
  // completed, with all of them.
  async describe(description) {
    await this.pc.setLocalDescription(description);
    if (!this.trickle) await gathered(this.pc);
    const sent = this.trickle ? description : this.pc.localDescription;
    this.sentDescriptions.push(sent);
    return sent;
  }

  // null is the end of our candidates. They name the call, which is
  // this.callId once start-call's or accept-call's ack is in (a caller only
  // learns its callId from that ack): until then they wait, in order.
  sendCandidate(candidate) {
    if (!this.callId) {
      this.unsentCandidates.push(candidate);
      return;
    }
    const sent = { callId: this.callId, candidate, ack: null };
    this.sentCandidates.push(sent);
    this.socket.emitWithAck('ice-candidate', { callId: sent.callId, candidate }).then((ack) => { sent.ack = ack; });
  }

  // Called once the call has its callId.
  sendUnsentCandidates() {
    for (const candidate of this.unsentCandidates.splice(0)) this.sendCandidate(candidate);
  }

  newPeerConnection() {
    const pc = new RTCPeerConnection();
    if (this.trickle) pc.addEventListener('icecandidate', (e) => this.sendCandidate(e.candidate ? e.candidate.toJSON() : null));
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
    const jsep = await this.describe(await this.pc.createOffer());
    // The callId is taken in the ack's callback, not after an await: the
    // gateway's first candidates can come in the same packet batch as the ack,
    // and they are handled before any promise continuation would run.
    const ack = await new Promise((resolve) => this.socket.emit('start-call', { toUserId, callType, jsep }, (reply) => {
      if (!reply.error) {
        this.callId = reply.callId;
        this.sendUnsentCandidates();
      }
      resolve(reply);
    }));
    log('start-call', JSON.stringify(ack));
    if (ack.error) this.closeMedia();
    this.dispatchEvent(new CustomEvent('change'));
    return ack;
  }

  async accept() {
    const call = this.incoming;
    if (!call) throw new Error('no incoming call');
    const stream = await this.media(call.callType);
    this.pc = this.newPeerConnection();
    for (const track of stream.getTracks()) this.pc.addTrack(track, stream);
    await this.setRemote(call.jsep);
    const jsep = await this.describe(await this.pc.createAnswer());
    const ack = await this.socket.emitWithAck('accept-call', { callId: call.callId, fromUserId: call.fromUserId, jsep });
    log('accept-call', JSON.stringify(ack));
    if (!ack.error) {
      this.callId = call.callId;
      this.sendUnsentCandidates();
    }
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
    this.unsentCandidates = [];
    this.remoteCandidates = [];
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

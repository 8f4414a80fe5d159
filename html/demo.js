// oicall demo: 1:1 calls with socket.io-client and a plain RTCPeerConnection
// (the JSEP variant of the protocol). The page's buttons use it, and so do
// the end-to-end tests, through window.demo.
//
// What the page shows comes from here: `state` (what the buttons may do),
// `registration`, `callStatus` and `error` (words for a person), and
// `remoteMuted`. Every change dispatches a 'change' event.
/* global io */

// JSON for the page's log, without secrets or walls of text: an SDP becomes
// a one-line summary, an ICE password or token is never printed.
function summarizeSdp(sdp) {
  const kinds = (sdp.match(/^m=\w+/gm) || []).map((m) => m.slice(2));
  return `(${kinds.length} m-lines: ${kinds.join(', ') || 'none'}; ${sdp.length} bytes)`;
}
const SECRET_KEYS = new Set(['password', 'token', 'secret', 'admin_secret', 'credential']);
export function safeJson(value) {
  return JSON.stringify(value, (key, v) => {
    if (SECRET_KEYS.has(key)) return '(redacted)';
    if (key === 'sdp' && typeof v === 'string') return summarizeSdp(v);
    if (typeof v === 'string') return v.replace(/a=ice-pwd:[^\s\\]*/g, 'a=ice-pwd:(redacted)');
    return v;
  });
}

const log = (...args) => {
  const text = args.map((a) => (typeof a === 'string' ? a : safeJson(a))).join(' ');
  const line = `${new Date().toISOString().slice(11, 23)} ${text.replace(/a=ice-pwd:\S+/g, 'a=ice-pwd:(redacted)')}`;
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

// What a call-ended reason means, in words; `peer` is the other user, `mine`
// whether this page ended the call itself.
function endedWords(reason, peer, mine) {
  switch (reason) {
    case 'hangup': return mine ? 'you hung up' : `${peer} hung up`;
    case 'rejected': return mine ? 'you declined the call' : `${peer} declined the call`;
    case 'busy': return `${peer} is busy`;
    case 'timeout': return `no answer from ${peer}`;
    case 'cancelled': return `${peer} cancelled the call`;
    case 'peer-disconnected': return `call ended: ${peer} lost their connection`;
    case 'admin': return 'call ended by the server (admin)';
    default: return `call ended: ${reason}`;   // media-timeout, error, last-participant-left, …
  }
}

// Why the camera can't be used on this page, or null when it can.
export function cameraBlocked() {
  if (window.isSecureContext && navigator.mediaDevices?.getUserMedia) return null;
  return 'the browser hides the camera and microphone on this page: they need a secure page, '
    + `https or http://localhost, and ${window.location.origin} is neither`;
}

class Demo extends EventTarget {
  constructor() {
    super();
    this.socket = null;
    this.userId = null;
    // offline | connecting | registered | reconnecting | replaced | kicked
    this.connection = 'offline';
    this.pc = null;
    this.callId = null;     // the call this page has media for (or started): set by start-call's or accept-call's ack
    this.incoming = null;   // the incoming-call ringing for us
    this.outgoing = null;   // our start-call until it is accepted: { toUserId, callType, callId?, cancelled? }
    this.active = false;    // in an accepted call
    this.accepting = false;
    this.peer = null;       // the other user of the active call
    this.callType = null;
    this.mediaElsewhere = false;  // a call this socket inherited (call-resumed) without its media
    this.remoteMuted = { audio: false, video: false };
    this.localMuted = { audio: false, video: false };
    this.glareCallId = null;  // the call ringing for us that our refused start-call met (glare)
    this.notice = '';       // how the last call ended, or why a call didn't start
    this.error = '';        // the last thing that went wrong, for the page's error line
    this.localStream = null;
    this.events = [];   // every server event, for tests and the log
    // true: offers and answers go out at once, without candidates, and every
    // candidate follows as its own ice-candidate (trickle ICE).
    this.trickle = false;
    this.sentDescriptions = [];  // every offer and answer sent, for tests
    this.sentCandidates = [];    // every ice-candidate sent: { callId, candidate, ack }
    this.addedCandidates = [];   // the gateway's, as handed to the PeerConnection: { candidate, error }
    this.unsentCandidates = [];  // ours, gathered before this.callId is set
    // The server's TURN servers with short-lived credentials (register's ack,
    // incoming-call), for every new PeerConnection; 'relay' forces TURN.
    this.iceServers = [];
    this.iceTransportPolicy = 'all';
    this.remoteCandidates = [];  // the gateway's, that came before its description
    // A group call: the gateway offers this PeerConnection again as the
    // others' streams come and go (renegotiate); mid -> { userId, kind, source }.
    this.streams = {};
    this.renegotiations = [];    // every renegotiate answered: { streams, ack }
    this.sdpChain = Promise.resolve();  // descriptions are set one after another
  }

  // Runs SDP steps in order (call-accepted's answer, then each renegotiate).
  inOrder(step) {
    this.sdpChain = this.sdpChain.then(step).catch((e) => this.fail(`Renegotiation failed: ${e.message}`));
    return this.sdpChain;
  }

  // idle | calling | ringing | in-call: what the call buttons may do.
  get state() {
    if (this.active) return 'in-call';
    if (this.outgoing) return 'calling';
    if (this.incoming) return 'ringing';
    return 'idle';
  }

  get registered() { return this.connection === 'registered'; }

  get registration() {
    switch (this.connection) {
      case 'connecting': return `registering as ${this.userId}…`;
      case 'registered': return `registered as ${this.userId}`;
      case 'reconnecting': return `connection lost: reconnecting as ${this.userId}…`;
      case 'replaced': return `not registered: replaced by another tab (${this.userId} registered elsewhere)`;
      case 'kicked': return `not registered: removed by the server (${this.userId} was kicked)`;
      default: return 'not registered';
    }
  }

  get callStatus() {
    switch (this.state) {
      case 'calling': return `calling ${this.outgoing.toUserId}…`;
      case 'ringing': return `${this.incoming.fromUserId} is calling (${this.incoming.callType})${this.notice ? `: ${this.notice}` : ''}`;
      case 'in-call':
        if (this.connection === 'replaced') return `in call with ${this.peer}: the call is now in your other tab, which can hang up`;
        if (this.mediaElsewhere) {
          return `in call with ${this.peer}: its media is in the tab or device you used before; take it over here, or hang up`;
        }
        return `in call with ${this.peer} (${this.callType})`;
      default: return this.notice;
    }
  }

  changed() { this.dispatchEvent(new CustomEvent('change')); }

  fail(message) {
    this.error = message;
    log('error:', message);
    this.changed();
  }

  clearMessages() {
    this.error = '';
    this.notice = '';
  }

  // Connects (if needed) and registers; registers again after every reconnection.
  connect(userId, url = window.location.origin, options = {}) {
    const id = typeof userId === 'string' ? userId.trim() : userId;
    if (id === '' || id === null || id === undefined) {
      this.fail('Enter a user id to register');
      return Promise.resolve({ error: 'Enter a user id to register' });
    }
    this.clearMessages();
    this.userId = id;
    if (this.socket) this.socket.close();
    this.connection = 'connecting';
    this.changed();
    const socket = io(url, { path: '/calls', transports: ['polling', 'websocket'], ...options });
    this.socket = socket;
    socket.on('connect', async () => {
      const ack = await socket.emitWithAck('register', this.userId);
      log('register', this.userId, ack);
      if (socket !== this.socket) return;
      if (ack?.success) {
        this.connection = 'registered';
        if (ack.iceServers) this.iceServers = ack.iceServers;
      } else {
        this.connection = 'offline';
        socket.close();
        this.error = `Registration as ${this.userId} refused: ${ack?.error ?? 'no answer'}`;
      }
      this.dispatchEvent(new CustomEvent('registered', { detail: ack }));
      this.changed();
    });
    socket.on('connect_error', (e) => {
      if (socket !== this.socket) return;
      if (!socket.active) this.connection = 'offline';
      this.fail(`Couldn't connect to ${url}: ${e.message}`);
    });
    socket.on('disconnect', (reason) => {
      log('socket disconnected:', reason);
      if (socket !== this.socket || this.connection === 'replaced' || this.connection === 'kicked') return;
      if (reason === 'io client disconnect') {
        this.connection = 'offline';
      } else if (reason === 'io server disconnect') {
        this.connection = 'offline';
        this.closeMedia();
        this.error = 'Disconnected by the server';
      } else {
        this.connection = 'reconnecting';   // socket.io-client reconnects; a call goes on meanwhile (the grace)
      }
      this.changed();
    });
    for (const name of ['incoming-call', 'call-accepted', 'call-ended', 'call-expired', 'remote-user-muted',
      'remote-user-unmuted', 'remote-user-video-muted', 'remote-user-video-unmuted', 'ice-candidate',
      'call-resumed', 'replaced', 'kicked', 'renegotiate', 'participant-joined', 'participant-left',
      'participant-no-answer', 'participant-invited', 'call-reaction']) {
      socket.on(name, (payload) => { if (socket === this.socket) this.onEvent(name, payload ?? {}); });
    }
    return new Promise((resolve) => this.addEventListener('registered', (e) => resolve(e.detail), { once: true }));
  }

  // Is this event about the call this page knows (outgoing, ringing or active)?
  isMine(callId) {
    return Boolean(callId) && (callId === this.callId || callId === this.outgoing?.callId || callId === this.incoming?.callId);
  }

  async onEvent(name, payload) {
    this.events.push({ name, payload, at: Date.now() });
    log('event', name, payload);
    if (name === 'incoming-call') {
      this.incoming = payload;
      if (payload.iceServers) this.iceServers = payload.iceServers;
      // (Glare: the call our refused start-call named may ring only now.)
      if (payload.callId !== this.glareCallId) this.clearMessages();
    } else if (name === 'call-accepted' && payload.callId === this.callId) {
      this.active = true;
      this.peer = payload.calleeUserId ?? this.outgoing?.toUserId;
      this.callType = this.outgoing?.callType ?? this.callType;
      this.outgoing = null;
      this.changed();
      if (payload.jsep && this.pc) await this.inOrder(() => this.setRemote(payload.jsep));
    } else if (name === 'renegotiate' && payload.callId === this.callId && this.pc) {
      await this.inOrder(() => this.renegotiate(payload));
    } else if ((name === 'call-ended' || name === 'call-expired') && this.isMine(payload.callId)) {
      const peer = this.peer ?? this.outgoing?.toUserId ?? this.incoming?.fromUserId;
      const missed = name === 'call-expired' || (this.state === 'ringing' && payload.reason === 'timeout');
      this.notice = missed ? `missed call from ${peer}` : endedWords(payload.reason, peer, this.endedByMe === payload.callId);
      this.closeMedia();
    } else if (name === 'ice-candidate' && !payload.transportId && this.isMine(payload.callId)) {
      // (With a transportId they are for the mediasoup-style transports that
      // incoming-call offers too, not for this PeerConnection.) A callee hears
      // the gateway's candidates while it rings, a caller before call-accepted:
      // they wait for the description they belong to.
      if (this.pc?.remoteDescription) await this.addCandidate(payload.candidate);
      else this.remoteCandidates.push(payload.candidate);
    } else if (name.startsWith('remote-user-') && payload.callId === this.callId) {
      this.remoteMuted[name.includes('video') ? 'video' : 'audio'] = !name.endsWith('unmuted');
    } else if (name === 'call-resumed') {
      this.resumed(payload);
    } else if (name === 'replaced') {
      // The server closes this socket next. A call's media stays in this
      // tab's PeerConnection (the other tab now owns the call), until it ends.
      this.connection = 'replaced';
      this.outgoing = null;
      this.incoming = null;
      if (this.active && this.pc) this.endWithMedia(this.pc);
      else this.closeMedia();
    } else if (name === 'kicked') {
      this.connection = 'kicked';
      this.closeMedia();
    }
    this.dispatchEvent(new CustomEvent(name, { detail: payload }));
    this.changed();
  }

  // A replaced tab keeps a call's media until the call ends, which it can
  // only see from the PeerConnection (its socket is gone): the gateway closes
  // its DTLS transport then.
  endWithMedia(pc) {
    const dtls = pc.getSenders().find((s) => s.transport)?.transport;
    const check = () => {
      if (pc !== this.pc || !['closed', 'failed'].includes(dtls?.state ?? pc.connectionState)) return;
      this.notice = 'the call ended';
      this.closeMedia();
    };
    (dtls ?? pc).addEventListener(dtls ? 'statechange' : 'connectionstatechange', check);
    check();
  }

  // This socket owns an active call now: this page's own (it reconnected),
  // or one that was on another socket of the user (a tab closed and reopened).
  resumed({ callId, peerUserId, callType }) {
    if (callId === this.callId && this.pc) {
      this.active = true;
      return;
    }
    this.closeMedia();
    Object.assign(this, { callId, peer: peerUserId, callType, active: true, mediaElsewhere: true });
  }

  // A call this tab inherited (call-resumed) gets its media here instead of
  // the old tab's: resume-call's ack has the gateway's offer for a new
  // PeerConnection, and resume-call with our answer puts it in the call (the
  // old tab's PeerConnection is closed then).
  async takeOver() {
    const callId = this.callId;
    if (!this.mediaElsewhere || !callId) return this.refuse('No call to take over');
    this.clearMessages();
    this.mediaElsewhere = false;    // one take-over at a time
    this.changed();
    const offer = await this.socket.emitWithAck('resume-call', { callId });
    log('resume-call', offer.error ?? 'offer');
    if (offer.error || !offer.jsep) {
      this.mediaElsewhere = this.callId === callId;
      return this.refuse(`Couldn't take the call over: ${offer.error ?? 'no offer'}`);
    }
    if (offer.iceServers) this.iceServers = offer.iceServers;
    let jsep;
    try {
      jsep = await this.answerWithMedia(this.callType, offer.jsep);
    } catch (e) {
      this.dropMedia();
      return this.refuse(`Couldn't take the call over: ${e.message}`);
    }
    const ack = await this.socket.emitWithAck('resume-call', { callId, jsep });
    log('resume-call', ack);
    if (ack.error) {
      this.dropMedia();
      this.fail(`Couldn't take the call over: ${ack.error}`);
    }
    this.changed();
    return ack;
  }

  // The gateway's new offer in a group call: answer it, and show a tile per user.
  async renegotiate({ callId, streams, jsep }) {
    this.streams = Object.fromEntries(streams.map((s) => [s.mid, s]));
    await this.pc.setRemoteDescription(jsep);
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    const ack = await this.socket.emitWithAck('renegotiate-answer', { callId, jsep: this.pc.localDescription });
    log('renegotiate-answer', streams.length, 'streams', ack);
    this.renegotiations.push({ streams, ack });
    this.showTiles();
  }

  // One video element per other user (and per screen), fed by the m-lines the gateway named for it.
  showTiles() {
    const grid = document.getElementById('remotes');
    if (!grid || !this.pc) return;
    const wanted = new Map();
    for (const t of this.pc.getTransceivers()) {
      const info = this.streams[t.mid];
      if (!info || t.currentDirection === 'inactive') continue;
      const key = info.source === 'screen' ? `${info.userId} (screen)` : info.userId;
      if (!wanted.has(key)) wanted.set(key, []);
      wanted.get(key).push(t.receiver.track);
    }
    for (const tile of [...grid.children]) if (!wanted.has(tile.dataset.user)) tile.remove();
    for (const [user, tracks] of wanted) {
      let tile = [...grid.children].find((x) => x.dataset.user === user);
      if (!tile) {
        tile = document.createElement('figure');
        tile.dataset.user = user;
        tile.innerHTML = '<video autoplay playsinline></video><figcaption></figcaption>';
        tile.querySelector('figcaption').textContent = user;
        grid.append(tile);
      }
      const video = tile.querySelector('video');
      const current = video.srcObject?.getTracks() ?? [];
      if (current.length !== tracks.length || tracks.some((t) => !current.includes(t))) video.srcObject = new MediaStream(tracks);
    }
  }

  async media(callType) {
    const blocked = cameraBlocked();
    if (blocked) throw new Error(blocked);
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
      log('addIceCandidate', candidate, e.message);
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
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, iceTransportPolicy: this.iceTransportPolicy });
    if (this.trickle) pc.addEventListener('icecandidate', (e) => this.sendCandidate(e.candidate ? e.candidate.toJSON() : null));
    pc.addEventListener('track', (e) => {
      const remote = document.getElementById('remote');
      if (remote && e.streams[0]) remote.srcObject = e.streams[0];
    });
    pc.addEventListener('connectionstatechange', () => log('peer connection', pc.connectionState));
    return pc;
  }

  // A refusal made here, before anything is sent.
  refuse(error) {
    this.fail(error);
    return Promise.resolve({ error });
  }

  // Starts a call. Refused here while this page calls or is in a call, so a
  // double click sends one start-call: `outgoing` is set before any await.
  async call(toUserId, callType = 'video') {
    // Several users, comma-separated or as an array: a group call.
    const list = Array.isArray(toUserId) ? toUserId
      : typeof toUserId === 'string' && toUserId.includes(',') ? toUserId.split(',').map((u) => u.trim()).filter(Boolean) : null;
    const to = list ? (list.length > 1 ? list.join(', ') : list[0])
      : typeof toUserId === 'string' ? toUserId.trim() : toUserId;
    if (!this.registered) return this.refuse('Register first');
    if (to === '' || to === null || to === undefined) return this.refuse('Enter the user id to call');
    if (this.outgoing) return this.refuse(`Already calling ${this.outgoing.toUserId}`);
    if (this.active || this.accepting) return this.refuse('Already in a call');
    this.clearMessages();
    const outgoing = { toUserId: to, callType };
    this.outgoing = outgoing;
    this.changed();
    let jsep;
    try {
      const stream = await this.media(callType);
      this.pc = this.newPeerConnection();
      for (const track of stream.getTracks()) this.pc.addTrack(track, stream);
      jsep = await this.describe(await this.pc.createOffer());
    } catch (e) {
      return this.outgoingFailed(outgoing, { error: `Couldn't start the call: ${e.message}` });
    }
    if (outgoing.cancelled || this.outgoing !== outgoing) return this.outgoingFailed(outgoing, { error: 'cancelled' }, 'call cancelled');
    // The callId is taken in the ack's callback, not after an await: the
    // gateway's first candidates can come in the same packet batch as the ack,
    // and they are handled before any promise continuation would run.
    const who = list && list.length > 1 ? { toUserIds: list } : { toUserId: to };
    const ack = await new Promise((resolve) => this.socket.emit('start-call', { ...who, callType, jsep }, (reply) => {
      if (!reply.error && this.outgoing === outgoing) {
        this.callId = reply.callId;
        outgoing.callId = reply.callId;
        this.sendUnsentCandidates();
      }
      resolve(reply);
    }));
    log('start-call', ack);
    if (ack.error === 'busy') {
      this.glareCallId = ack.incomingCallId;
      this.outgoingFailed(outgoing, null, ack.incomingCallId ? 'you both called at once, answer their call' : `${to} is busy`);
    } else if (ack.error) {
      this.outgoingFailed(outgoing, { error: `Couldn't call ${to}: ${ack.error}` });
    } else if (outgoing.cancelled) {
      await this.hangup();
    }
    this.changed();
    return ack;
  }

  // Our start-call came to nothing: its media goes, an incoming call (glare) stays.
  outgoingFailed(outgoing, failure, notice = '') {
    if (this.outgoing === outgoing) {
      const { incoming } = this;
      this.closeMedia();
      this.incoming = incoming;
    }
    this.notice = notice;
    if (failure && failure.error !== 'cancelled') this.fail(failure.error);
    this.changed();
    return failure;
  }

  // A new PeerConnection with the camera and microphone, answering the
  // gateway's offer; returns the answer to send.
  async answerWithMedia(callType, offer) {
    const stream = await this.media(callType);
    this.pc = this.newPeerConnection();
    for (const track of stream.getTracks()) this.pc.addTrack(track, stream);
    await this.setRemote(offer);
    return this.describe(await this.pc.createAnswer());
  }

  async accept() {
    const call = this.incoming;
    if (!call) throw new Error('no incoming call');
    if (this.accepting || this.active) return this.refuse('Already in a call');
    this.clearMessages();
    this.accepting = true;
    this.changed();
    let jsep;
    try {
      jsep = await this.answerWithMedia(call.callType, call.jsep);
    } catch (e) {
      this.dropMedia();
      this.accepting = false;
      return this.refuse(`Couldn't accept the call: ${e.message}`);
    }
    const ack = await this.socket.emitWithAck('accept-call', { callId: call.callId, fromUserId: call.fromUserId, jsep });
    log('accept-call', ack);
    this.accepting = false;
    if (!ack.error && this.incoming?.callId === call.callId) {
      this.callId = call.callId;
      this.active = true;
      this.peer = call.fromUserId;
      this.callType = call.callType;
      this.sendUnsentCandidates();
    } else if (ack.error) {
      // Still ringing, perhaps: a refused answer gets the call offered again.
      this.dropMedia();
      this.fail(`Couldn't accept the call: ${ack.error}`);
    }
    this.changed();
    return ack;
  }

  // Ends the ringing call without answering (the caller hears `rejected`).
  async decline() {
    const callId = this.incoming?.callId;
    if (!callId || this.active) return this.refuse('No call to decline');
    this.endedByMe = callId;
    const ack = await this.socket.emitWithAck('end-call', { callId });
    log('end-call', ack);
    if (this.incoming?.callId === callId) {
      this.notice = 'you declined the call';
      this.closeMedia();
    }
    return ack;
  }

  async hangup() {
    if (this.outgoing && !this.outgoing.callId) {
      // start-call isn't out yet (camera, ICE gathering) or not answered: it ends once it is.
      this.outgoing.cancelled = true;
      this.notice = 'call cancelled';
      this.changed();
      return { success: true };
    }
    const callId = this.callId ?? this.incoming?.callId;
    if (!callId) return { error: 'no call' };
    this.endedByMe = callId;
    const ack = await this.socket.emitWithAck('end-call', { callId });
    log('end-call', ack);
    if (this.isMine(callId)) {
      this.notice = this.active || callId === this.outgoing?.callId ? 'you hung up' : 'you declined the call';
      this.closeMedia();
    }
    return ack;
  }

  async mute(kind, muted) {
    const ack = await this.socket.emitWithAck(kind === 'video' ? 'mute-video' : 'mute-audio', { callId: this.callId, muted });
    log(kind === 'video' ? 'mute-video' : 'mute-audio', muted, ack);
    if (ack.error) this.fail(`Couldn't ${muted ? 'mute' : 'unmute'} ${kind}: ${ack.error}`);
    else this.localMuted[kind] = muted;
    this.changed();
    return ack;
  }

  // The PeerConnection and camera go; the call's state stays.
  dropMedia() {
    this.pc?.close();
    this.pc = null;
    this.localStream?.getTracks().forEach((t) => t.stop());
    this.localStream = null;
    for (const id of ['local', 'remote']) {
      const el = document.getElementById(id);
      if (el) el.srcObject = null;
    }
    document.getElementById('remotes')?.replaceChildren();
    this.streams = {};
  }

  closeMedia() {
    this.dropMedia();
    this.callId = null;
    this.incoming = null;
    this.outgoing = null;
    this.active = false;
    this.accepting = false;
    this.peer = null;
    this.callType = null;
    this.mediaElsewhere = false;
    this.remoteMuted = { audio: false, video: false };
    this.localMuted = { audio: false, video: false };
    this.unsentCandidates = [];
    this.remoteCandidates = [];
    this.changed();
  }

  // Inbound media of a group call by user (and "user (screen)"), from the m-lines the gateway named.
  async inboundByUser() {
    const out = {};
    if (!this.pc) return out;
    (await this.pc.getStats()).forEach((s) => {
      const info = s.type === 'inbound-rtp' ? this.streams[s.mid] : null;
      if (!info) return;
      const entry = out[info.source === 'screen' ? `${info.userId}/screen` : info.userId] ??= { framesDecoded: 0, audioPackets: 0 };
      if (s.kind === 'video') entry.framesDecoded += s.framesDecoded || 0;
      if (s.kind === 'audio') entry.audioPackets += s.packetsReceived || 0;
    });
    return out;
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

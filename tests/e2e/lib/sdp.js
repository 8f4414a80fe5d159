// A syntactically complete WebRTC offer for signalling tests that need no
// real media: Janus accepts it (ICE credentials, fingerprint, BUNDLE) but
// nothing ever connects.
export function fakeOffer({ video = false } = {}) {
  const fingerprint = Array.from({ length: 32 }, (_, i) => (i * 7 % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');
  const media = (kind, mid, pt, rtpmap) => [
    `m=${kind} 9 UDP/TLS/RTP/SAVPF ${pt}`,
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    'a=ice-ufrag:Fake',
    'a=ice-pwd:fakefakefakefakefakefake',
    `a=fingerprint:sha-256 ${fingerprint}`,
    'a=setup:actpass',
    `a=mid:${mid}`,
    'a=sendrecv',
    'a=rtcp-mux',
    `a=rtpmap:${pt} ${rtpmap}`,
  ];
  const lines = [
    'v=0', 'o=- 4611731400430051336 2 IN IP4 127.0.0.1', 's=-', 't=0 0',
    `a=group:BUNDLE 0${video ? ' 1' : ''}`, 'a=msid-semantic: WMS',
    ...media('audio', 0, 111, 'opus/48000/2'),
    ...(video ? media('video', 1, 96, 'VP8/90000') : []),
  ];
  return { type: 'offer', sdp: `${lines.join('\r\n')}\r\n` };
}

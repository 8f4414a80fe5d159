// oicall-mediasoup.js: lets mediasoup-client (3.14+) talk to oicall.
//
// Janus runs full ICE, so it needs each transport's local ICE username
// fragment and password, which a mediasoup server never asks for and
// mediasoup-client's 'connect' event never carries. This wraps a built-in
// handler factory so that the dtlsParameters of every 'connect' also hold
// { iceParameters: { usernameFragment, password } }; the app passes them on
// in connect-transport as it always did. No dependencies: the app hands in
// the built-in factory it already has.
//
//   import { Device } from 'mediasoup-client';
//   import { Chrome111 } from 'mediasoup-client/handlers/Chrome111';
//   import { oicallHandlerFactory } from './oicall-mediasoup.js';
//   const device = new Device({ handlerFactory: oicallHandlerFactory(Chrome111.createFactory({})) });

// The first media section's ICE credentials of an SDP object (sdp-transform's
// shape; browsers put them at media level) or, failing that, the session's.
function iceOf(sdpObject) {
  const media = (sdpObject && sdpObject.media) || [];
  const section = media.find((m) => m.iceUfrag && m.icePwd) || sdpObject || {};
  if (!section.iceUfrag || !section.icePwd) return null;
  // The SDP parser makes an all-digit ufrag a number.
  return { usernameFragment: String(section.iceUfrag), password: String(section.icePwd) };
}

export function oicallHandlerFactory(builtin) {
  if (!builtin || typeof builtin.factory !== 'function') {
    throw new TypeError('oicallHandlerFactory needs a mediasoup-client handler factory, e.g. Chrome111.createFactory({})');
  }
  return {
    ...builtin,
    factory(options) {
      const handler = builtin.factory(options);
      let ice = null;
      // setupTransport runs once per transport, just before '@connect', with
      // the local description the browser is about to apply.
      const setupTransport = handler.setupTransport.bind(handler);
      handler.setupTransport = (args) => {
        ice = iceOf(args && args.localSdpObject) || ice;
        return setupTransport(args);
      };
      // Runs before the Transport's own listener, which passes this very object to the app.
      handler.prependListener('@connect', ({ dtlsParameters }) => {
        if (ice && dtlsParameters) dtlsParameters.iceParameters = { ...ice };
      });
      return handler;
    },
  };
}

/** The client protocols the bridge speaks. */
export type ClientProtocol = 'socketio' | 'ws';

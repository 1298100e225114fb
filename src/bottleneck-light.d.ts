// Bottleneck's light build (no Redis clustering), as Octokit's plugins use it: same API.
declare module 'bottleneck/light.js' {
  import Bottleneck from 'bottleneck';
  export default Bottleneck;
}

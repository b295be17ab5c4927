import { markOnce } from './lib/marks';
markOnce('script');
import { mount } from 'svelte';
import App from './App.svelte';
import { askFirstPage } from './lib/gallery.svelte';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('#app element missing from index.html');

/** How long mounting waits for the gallery's first page, so that the first frame already has tiles. */
const FIRST_PAGE_WAIT_MS = 150;

const asked = askFirstPage();
const arrived = await Promise.race([
  asked.then(
    (page) => ({ page }),
    () => null,
  ),
  new Promise<null>((done) => setTimeout(() => done(null), FIRST_PAGE_WAIT_MS)),
]);

export default mount(App, { target, props: { firstPage: arrived?.page ?? asked } });

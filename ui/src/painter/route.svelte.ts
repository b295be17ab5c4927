// Which image the mask painter is open on (null: closed). The detail panel opens it, the app shows it.
import { type ImageDetail } from '../api';

export interface PainterTarget {
  id: string;
  width: number;
  height: number;
  prompt: string;
}

class PainterRoute {
  target = $state<PainterTarget | null>(null);

  open(image: Pick<ImageDetail, 'id' | 'width' | 'height' | 'prompt'>): void {
    this.target = { id: image.id, width: image.width, height: image.height, prompt: image.prompt };
  }

  close(): void {
    this.target = null;
  }
}

export const painterRoute = new PainterRoute();

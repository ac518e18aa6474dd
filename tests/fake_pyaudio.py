"""A stand-in for the pyaudio module with the same callback API, replaying audio from a thread
(tests of edgestt.sources and edgestt.listen on machines without a sound card).

    fake = FakePyAudioModule(int16_audio, rate=48000, speed=None)   # as fast as possible
    mic = Microphone(pyaudio_module=fake, sample_rate=16000)

speed: 1.0 replays at real time, 20.0 at twenty times, None without any pause.
after: what the "device" does when the audio is used up: "silence" (zeros at real time, like a quiet room),
"stop" (the stream becomes inactive, as when a USB microphone is unplugged) or "interrupt"
(Ctrl-C: KeyboardInterrupt in the main thread, then silence).
overflow_blocks: indices of the callbacks flagged with paInputOverflow.
"""
from __future__ import annotations

import _thread
import threading
import time

import numpy as np

paInt16 = 8
paContinue = 0
paComplete = 1
paAbort = 2
paInputOverflow = 2


def device_info(index, name, inputs=1, rate=48000.0):
    return {"index": index, "name": name, "hostApi": 0, "maxInputChannels": inputs,
            "maxOutputChannels": 0 if inputs else 2, "defaultSampleRate": float(rate)}


class FakePyAudioModule:
    paInt16 = paInt16
    paContinue = paContinue
    paComplete = paComplete
    paAbort = paAbort
    paInputOverflow = paInputOverflow

    def __init__(self, audio=None, *, speed=None, after="silence", devices=None, default_index=0,
                 rates=(48000, 44100), channels=(1,), overflow_blocks=()):
        audio = np.zeros(0, np.int16) if audio is None else np.asarray(audio, np.int16)
        self.audio = audio if audio.ndim == 2 else audio.reshape(-1, 1)
        self.speed = speed
        self.after = after
        self.devices = devices if devices is not None else [device_info(0, "Fake USB Microphone: Audio (hw:1,0)")]
        self.default_index = default_index
        self.rates = tuple(rates)
        self.channels = tuple(channels)
        self.overflow_blocks = set(overflow_blocks)
        self.instances = []   # every FakePyAudio made
        self.streams = []     # every stream opened

    def PyAudio(self):
        pa = FakePyAudio(self)
        self.instances.append(pa)
        return pa


class FakePyAudio:
    def __init__(self, module: FakePyAudioModule):
        self.module = module
        self.terminated = False

    def get_device_count(self):
        return len(self.module.devices)

    def get_device_info_by_index(self, index):
        if not 0 <= index < len(self.module.devices):
            raise OSError(-9996, "Invalid device info")
        return dict(self.module.devices[index])

    def get_default_input_device_info(self):
        if self.module.default_index is None:
            raise OSError("No Default Input Device Available")
        return dict(self.module.devices[self.module.default_index])

    def get_host_api_info_by_index(self, index):
        return {"index": index, "name": "ALSA", "deviceCount": len(self.module.devices)}

    def is_format_supported(self, rate, input_device=None, input_channels=None, input_format=None, **_):
        if input_format != paInt16 or input_channels not in self.module.channels:
            raise ValueError("Invalid number of channels", -9998)
        if rate not in self.module.rates:
            raise ValueError("Invalid sample rate", -9997)
        return True

    def open(self, rate, channels, format, input=False, input_device_index=None, frames_per_buffer=1024,
             stream_callback=None, start=True, **_):
        # Real PortAudio crashes (SIGSEGV) on an out-of-range index: edgestt must never get here with one.
        assert 0 <= input_device_index < len(self.module.devices), "PortAudio would crash on this index"
        assert input and format == paInt16 and stream_callback is not None
        if rate not in self.module.rates:
            raise OSError(-9997, "Invalid sample rate")
        stream = FakeStream(self.module, rate, channels, frames_per_buffer, stream_callback)
        self.module.streams.append(stream)
        if start:
            stream.start_stream()
        return stream

    def terminate(self):
        self.terminated = True


class FakeStream:
    def __init__(self, module, rate, channels, frames_per_buffer, callback):
        self.module, self.rate, self.channels = module, rate, channels
        self.frames_per_buffer, self.callback = frames_per_buffer, callback
        self._stop = threading.Event()
        self._thread = None
        self.closed = False
        self.frames_sent = 0
        self.blocks_sent = 0
        self.started_at = None

    def _frames(self, begin, count):
        audio = self.module.audio
        block = audio[begin:begin + count]
        if block.shape[1] != self.channels:  # the test audio is mono: copy it to every channel
            block = np.repeat(block[:, :1], self.channels, axis=1)
        if len(block) < count:
            block = np.concatenate([block, np.zeros((count - len(block), self.channels), np.int16)])
        return block

    def _run(self):
        start = self.started_at = time.monotonic()  # the audio clock: sample n is "recorded" at start + n / rate
        total = len(self.module.audio)
        ended = False
        while not self._stop.is_set():
            if self.frames_sent >= total and not ended:
                ended = True
                if self.module.after == "stop":
                    return
                if self.module.after == "interrupt":
                    _thread.interrupt_main()
            n = self.frames_per_buffer
            if ended:  # the endless silence after the audio comes at real time, whatever the speed
                if self._stop.wait(n / self.rate):
                    return
            elif self.module.speed is not None:
                due = start + (self.frames_sent + n) / self.rate / self.module.speed
                if self._stop.wait(max(0.0, due - time.monotonic())):
                    return
            block = self._frames(self.frames_sent, n)
            flags = paInputOverflow if self.blocks_sent in self.module.overflow_blocks else 0
            _, action = self.callback(block.astype("<i2").tobytes(), n, {}, flags)
            self.frames_sent += n
            self.blocks_sent += 1
            if action != paContinue:
                return

    def start_stream(self):
        assert not self.closed
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="fake-portaudio-callback", daemon=True)
        self._thread.start()

    def is_active(self):
        return self._thread is not None and self._thread.is_alive()

    def stop_stream(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def close(self):
        self.stop_stream()
        self.closed = True

    @property
    def thread_alive(self):
        return self._thread is not None and self._thread.is_alive()

## Plays composer's game music from its JSON sidecars: a seamless loop or intensity layers, a stinger
## started on the music's next beat, bar line or marker, and a loop's release tail when it stops.
## Godot 4.x; attach to a Node. Every time comes from a sidecar in sample frames: no tempo arithmetic.
extends Node

## The sidecars of the music to loop, quietest layer first (one entry: a plain loop).
@export var layer_sidecars: PackedStringArray = [
	"res://music/stealth-low.ogg.json", "res://music/stealth-mid.ogg.json", "res://music/stealth-high.ogg.json"]
## The stinger's sidecar; its "sync" says whether it waits for a beat, a bar line or a marker.
@export_file("*.json") var stinger_sidecar := "res://music/victory-sting.ogg.json"
## 0 plays the quietest layer alone, 1 the fullest; in between, the two nearest crossfade.
@export_range(0.0, 1.0) var intensity := 0.0

var _music: Array[Dictionary] = []  # the layers' sidecars, in the order of _players
var _players: Array[AudioStreamPlayer] = []
var _stinger_info: Dictionary = {}
var _stinger := AudioStreamPlayer.new()
var _tail: AudioStreamPlayer = null  # a plain loop rendered with --tail: what rings on after its end


static func read_sidecar(path: String) -> Dictionary:
	var data: Variant = JSON.parse_string(FileAccess.get_file_as_string(path))
	if typeof(data) != TYPE_DICTIONARY:
		push_error("%s is not a composer sidecar" % path)
		return {}
	return data


## The OGG file a sidecar names (relative to the sidecar's folder), set up to loop from loop.start. The
## file ends exactly at loop.end with the seam already mixed in, so it loops with no crossfade.
static func load_stream(sidecar_path: String, sidecar: Dictionary) -> AudioStreamOggVorbis:
	var path := sidecar_path.get_base_dir().path_join(sidecar["audio"])
	var stream := (load(path) as AudioStreamOggVorbis).duplicate() as AudioStreamOggVorbis
	var loop: Variant = sidecar.get("loop")
	stream.loop = loop != null
	if loop != null:
		stream.loop_offset = loop["start"]["seconds"]
	stream.bpm = sidecar["tempo_map"][0]["bpm"]
	stream.bar_beats = int(sidecar["meters"][0]["numerator"])
	stream.beat_count = sidecar["beats"].size()
	return stream


func _ready() -> void:
	for path in layer_sidecars:
		var sidecar := read_sidecar(path)
		var player := AudioStreamPlayer.new()
		player.stream = load_stream(path, sidecar)
		add_child(player)
		_music.append(sidecar)
		_players.append(player)
	_stinger_info = read_sidecar(stinger_sidecar)
	_stinger.stream = load_stream(stinger_sidecar, _stinger_info)
	add_child(_stinger)
	var tail: Variant = _music[0].get("tail")
	if _players.size() == 1 and tail != null:
		_tail = AudioStreamPlayer.new()
		_tail.stream = load(layer_sidecars[0].get_base_dir().path_join(tail["file"]))
		add_child(_tail)
	_apply_gains()
	for player in _players:  # all in one frame, so the layers start together
		player.play()


func _process(_delta: float) -> void:
	_apply_gains()


## A linear crossfade of the two layers nearest the intensity (they share their stems sample for sample).
func _apply_gains() -> void:
	var position := clampf(intensity, 0.0, 1.0) * (_players.size() - 1)
	var lower := int(position)
	for index in _players.size():
		var gain := 0.0
		if index == lower:
			gain = 1.0 - (position - lower)
		elif index == lower + 1:
			gain = position - lower
		_players[index].volume_db = maxf(linear_to_db(gain), -80.0)


## The music's playhead as a sample frame of its file (looping has already wrapped it).
func playhead_frames() -> int:
	var seconds := _players[0].get_playback_position() + AudioServer.get_time_since_last_mix()
	return int((seconds - AudioServer.get_output_latency()) * float(_music[0]["sample_rate"]))


## Frames from `frame` to the music's next entry of "bars" or "beats", or to its marker named `marker`;
## past the last one of a loop, to where it comes round again after loop.end.
func frames_to_next(unit: String, frame: int, marker: String = "") -> int:
	var sidecar := _music[0]
	var points: Array = sidecar["bars"] if unit == "bar" else sidecar["beats"]
	if unit == "marker":
		points = sidecar["markers"].filter(func(m: Dictionary) -> bool: return m["name"] == marker)
	for point in points:
		if int(point["sample"]) > frame:
			return int(point["sample"]) - frame
	var loop: Variant = sidecar.get("loop")
	if loop == null:
		return maxi(int(sidecar["end"]["sample"]) - frame, 0)
	var to_end := int(loop["end"]["sample"]) - frame
	if unit == "marker" and not points.is_empty():
		return to_end + int(points[0]["sample"]) - int(loop["start"]["sample"])
	return to_end


## Start the stinger where its sidecar's "sync" says: its anchor on the music's next beat, bar or marker.
func play_stinger() -> void:
	var sync: Variant = _stinger_info.get("sync")
	var unit: String = "bar" if sync == null else sync["unit"]
	var marker: String = "" if sync == null or sync["marker"] == null else sync["marker"]
	var anchor := 0 if sync == null else int(sync["anchor"]["sample"])
	var wait := maxi(frames_to_next(unit, playhead_frames(), marker) - anchor, 0)
	await get_tree().create_timer(wait / float(_music[0]["sample_rate"])).timeout  # good to about one frame
	_stinger.play()


## Let the loop play to its end once more, then ring out with its tail (which starts where the loop ends).
func stop_at_loop_end() -> void:
	for player in _players:
		var stream := player.stream as AudioStreamOggVorbis
		stream.loop = false  # the current pass plays on to the end of the file, then stops
	await _players[0].finished
	if _tail != null:
		_tail.play()

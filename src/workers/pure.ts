// The engine's pure helpers the page runs itself, re-exported: the UI imports engine types only
// (ESLint enforces it) and reaches engine code through src/workers. These stay on the page
// because they answer at once and are small: assembling a program in the editor (its line:col
// errors as the learner types), the client terminal's commands (from the program table: parsing,
// help and Tab completion answer each keystroke), the tour's chapter texts, and checking a link or a recording file
// before anything on screen is replaced (bounded by the recording's limits). Nothing here runs a
// session: that is the simulator worker's.
export { PROGRAM_NAMES, PROGRAM_SOURCES, assembleProgram } from '../engine/programs/index';
export { MAX_SOURCE_CHARS, RECORDING_EXTENSION, RecordingError, decodeRecording, decodeShareLink, linkHasChecksum } from '../engine/session/recording';
export { complete, greeting, helpText, MAX_REQUEST_CHARS, parseCommand, type ParsedCommand } from '../engine/programs/terminal';
export { describeAction } from '../engine/session/actions';
export { validateScenario } from '../engine/sim/scenario';
export { CHAPTERS, chapterById } from '../engine/tour/chapters';
export { describeExpectation } from '../engine/tour/player';
export { asNodeId, clientNode, clientNumber, isClientNode, vmNode } from '../engine/ft/messages';
export { RecentMap, RecentSet } from '../engine/util/recent';
export { VERDICT_NAMES } from '../engine/sim/checkers/verdicts';

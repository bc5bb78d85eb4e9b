'use strict';

module.exports = function pad(text, width, fill = ' ') {
  text = String(text);
  return text.length >= width ? text : fill.repeat(width - text.length) + text;
};
